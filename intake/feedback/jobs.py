"""Jobs of a new feedback item: its follow-up (suggested unit, category and priority, then the
reporter's receipt, 回执), one item at a time or a batch of new mail at once.

Each job takes ids, loads what it needs, calls services, and lets errors propagate so rq's
retries and failed-job registry see them. The worker provides the app context."""

import logging
import uuid

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry

from intake.core.jobs import MAIL_RETRY, TRIAGE, batches_in_redis, enqueue, enqueue_each, job, jobs_in_redis, queue
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem
from intake.mailbox import outgoing
from intake.mailbox import threads as mail_threads
from intake.mailbox.acks import receipt_blocker, take_acknowledgement_slot
from intake.redis_client import redis_connection

# The suggestion code (NumPy for duplicates, the classifier) is imported by the jobs that
# suggest, not here: the web app, the watcher and a worker's first parse jobs start without it.

log = logging.getLogger(__name__)

BATCH_JOB_PREFIX = "items-received-"


def item_job_id(item_id: int) -> str:
    return f"item-received-{item_id}"


@job(retry=MAIL_RETRY)
def follow_up_item(item_id: int) -> str:
    """Follow-up of one new item: its suggestions (unit, category, priority), then the reporter's
    receipt (回执), once, when we can."""
    item = db.session.get(FeedbackItem, item_id)
    if item is None:
        # The row is committed before the job is enqueued, so this is a deleted item.
        return "missing"
    if item.dispatched_at is None:
        # From here on rq owns it (retries, failed registry); the sweeper stops re-enqueueing.
        feedback_services.mark_dispatched([item_id])
        db.session.commit()
    # Suggested unit, category and priority first, committed apart from the receipt.
    if not _suggest_or_hand_over([item_id]):
        item = db.session.get(FeedbackItem, item_id)
    blocker = receipt_blocker(item)
    if blocker is not None:
        if blocker == "smtp not configured":
            log.info("SMTP not configured; no receipt for %s", item.tracking_code)
        return blocker
    # One rule for every receipt, mail or web form: an address is acknowledged at most once per
    # window, so nobody can mail-bomb an address by typing it into the form again and again.
    # The item is kept either way; only the receipt is not sent again.
    if not take_acknowledgement_slot(
        redis_connection(), item.reporter.email, item.id, current_app.config["ACK_WINDOW_HOURS"]
    ):
        return "already acknowledged this address recently"
    return _send_receipt(item)


def receipt_job_id(item_id: int) -> str:
    return f"item-receipt-{item_id}"


@job(retry=MAIL_RETRY)
def send_receipt_for_staff(item_id: int) -> str:
    """The receipt of an item that got none because its reporter was acknowledged for another
    report within ACK_WINDOW_HOURS: staff send it from the item page. A person decided, so the
    per-address window (against floods) does not apply; everything else does."""
    item = db.session.get(FeedbackItem, item_id)
    if item is None:
        return "missing"
    blocker = receipt_blocker(item)
    if blocker is not None:
        return blocker
    return _send_receipt(item)


def _send_receipt(item: FeedbackItem) -> str:
    message = outgoing.compose(outgoing.RECEIPT, item=item)
    outgoing.send(message)
    feedback_services.record_acknowledgement(item, message["Message-ID"])
    mail_threads.record_outbound(item, message)
    db.session.commit()
    return "sent"


@job(queue=TRIAGE, retry=Retry(max=5, interval=[10, 30, 120, 600, 1800]))
def follow_up_batch(item_ids: list[int]) -> str:
    """Follow-up of new items a batch at a time (the mail parse job's): suggestions for all of
    them in one transaction, then a receipt job (`follow_up_item`) for each that may get one.
    Items whose follow-up started already are left to it."""
    item_ids = feedback_services.undispatched(item_ids)
    if not item_ids:
        return "nothing to do"
    _suggest_or_hand_over(item_ids)
    receipts = (
        []
        if not outgoing.mail_configured()
        else [item_id for item_id in item_ids if receipt_blocker(db.session.get(FeedbackItem, item_id)) is None]
    )
    # The receipt jobs mark their items themselves; when Redis refuses them, their items stay
    # unmarked for the sweeper.
    queued = bool(receipts) and dispatch_items(receipts)
    feedback_services.mark_dispatched([i for i in item_ids if i not in set(receipts)])
    db.session.commit()
    detail = f"{len(item_ids)} followed up, {len(receipts) if queued else 0} receipt(s) queued"
    return detail if queued or not receipts else f"{detail}, {len(receipts)} left for the sweeper"


@job(retry=Retry(max=5, interval=[30, 120, 600, 1800, 3600]))
def suggest_item(item_id: int) -> str:
    """Suggestions alone, for an item whose follow-up job could not make them."""
    from intake.triage.suggestions import apply_suggestions

    if apply_suggestions(item_id) is None:
        return "missing"
    db.session.commit()
    return "suggested"


def _suggest_or_hand_over(item_ids: list[int]) -> bool:
    """Suggestions for new items (idempotent), committed on their own. A failing suggestion (a
    broken model file, say) must not hold back what follows (receipts): each item's is handed to
    a job of its own, which raises so rq retries it and staff see it failed. False then."""
    from intake.triage.suggestions import apply_suggestions_many

    try:
        apply_suggestions_many(item_ids)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("suggestions for items %s failed; retrying them one job each", item_ids)
        try:
            for item_id in item_ids:
                enqueue(suggest_item, item_id, job_id=f"suggest-item-{item_id}", unique=True)
        except RedisError as exc:  # `intake import` may run without Redis: the items stay unsuggested
            log.warning("Redis unavailable, suggestions of items %s not retried: %s", item_ids, exc)
        return False
    return True


# --- handing items to the workers -------------------------------------------------------------


def dispatch_items(item_ids: list[int]) -> bool:
    """Enqueue the follow-up job of committed items, once each (unique: a job still queued,
    running or just finished is not queued again, whether the sweeper or a request gets there
    first). The job itself records that it started (dispatched_at), so a request enqueues and
    commits nothing more. Returns False when Redis is unreachable; the rows wait for the sweeper."""
    return enqueue_each(follow_up_item, item_ids, item_job_id, what="item(s)")


def dispatch_received(item_ids: list[int]) -> bool:
    """Enqueue the follow-up of a batch of committed items (new mail) as one job of the triage
    queue. False when Redis is unreachable; the items wait for the sweeper, which gives each
    its own follow-up job."""
    if not item_ids:
        return True
    try:
        enqueue(
            follow_up_batch,
            sorted(item_ids),
            job_id=f"{BATCH_JOB_PREFIX}{min(item_ids)}-{len(item_ids)}-{uuid.uuid4().hex[:8]}",
        )
    except RedisError as exc:
        log.warning("Redis unavailable, %d item(s) left for the sweeper: %s", len(item_ids), exc)
        return False
    return True


def sweep_items() -> int:
    """Enqueue the job of every committed item whose job never started: never enqueued (Redis
    was down) or lost with Redis's memory. Returns how many were handed over."""
    total = 0
    after_id = 0
    in_batches = None
    while ids := feedback_services.undispatched_item_ids(after_id=after_id):
        waiting = jobs_in_redis([item_job_id(i) for i in ids])
        if in_batches is None:
            in_batches = batches_in_redis(queue(TRIAGE), BATCH_JOB_PREFIX, running=True)
        if waiting is None or in_batches is None:
            break
        todo = [i for i in ids if item_job_id(i) not in waiting and i not in in_batches]
        if todo and not dispatch_items(todo):
            break
        total += len(todo)
        after_id = ids[-1]
    return total
