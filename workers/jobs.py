"""rq jobs. Each takes ids, loads what it needs, calls services, and lets errors propagate
so rq's retry and failed-job registry see them. The worker provides the app context."""
import collections
import functools
import logging

from flask import current_app
from redis.exceptions import RedisError

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem, Source
from intake.jobs import dispatch_items, dispatch_received, enqueue_suggestion_retry, redis_connection
from intake.mailbox import outgoing
from intake.mailbox import services as mailbox_services
from intake.mailbox.acks import receipt_blocker, take_acknowledgement_slot
from intake.triage.suggestions import apply_suggestions, apply_suggestions_many

log = logging.getLogger(__name__)


def item_received(item_id: int) -> str:
    """Follow-up of a new item: send the reporter a receipt (回执) once, when we can."""
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
    reporter = item.reporter
    if item.source is Source.email and not take_acknowledgement_slot(
        redis_connection(), reporter.email, item.id, current_app.config["ACK_WINDOW_HOURS"]
    ):
        return "already acknowledged this sender recently"
    message = outgoing.compose(outgoing.RECEIPT, item=item)
    outgoing.send(message)
    feedback_services.record_acknowledgement(item, message["Message-ID"])
    mailbox_services.record_outbound(item, message)
    db.session.commit()
    return "sent"


def items_received(item_ids: list[int]) -> str:
    """Follow-up of new items a batch at a time (the mail parse job's): suggestions for all of
    them in one transaction, then a receipt job (`item_received`) for each that may get one.
    Items whose follow-up started already are left to it."""
    item_ids = feedback_services.undispatched(item_ids)
    if not item_ids:
        return "nothing to do"
    _suggest_or_hand_over(item_ids)
    receipts = [] if not outgoing.mail_configured() else [
        item_id for item_id in item_ids if receipt_blocker(db.session.get(FeedbackItem, item_id)) is None
    ]
    # The receipt jobs mark their items themselves; when Redis refuses them, their items stay
    # unmarked for the sweeper.
    queued = bool(receipts) and dispatch_items(receipts)
    feedback_services.mark_dispatched([i for i in item_ids if i not in set(receipts)])
    db.session.commit()
    detail = f"{len(item_ids)} followed up, {len(receipts) if queued else 0} receipt(s) queued"
    return detail if queued or not receipts else f"{detail}, {len(receipts)} left for the sweeper"


def _suggest_or_hand_over(item_ids: list[int]) -> bool:
    """Suggestions for new items (idempotent), committed on their own. A failing suggestion (a
    broken model file, say) must not hold back what follows (receipts): each item's is handed to
    a job of its own, which raises so rq retries it and staff see it failed. False then."""
    try:
        apply_suggestions_many(item_ids)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("suggestions for items %s failed; retrying them one job each", item_ids)
        try:
            for item_id in item_ids:
                enqueue_suggestion_retry(item_id)
        except RedisError as exc:  # `intake import` may run without Redis: the items stay unsuggested
            log.warning("Redis unavailable, suggestions of items %s not retried: %s", item_ids, exc)
        return False
    return True


def parse_inbound_batch(inbound_ids: list[int]) -> str:
    """Turn a fetched batch of stored mail into items (or thread entries, duplicates,
    quarantine entries): the job the watcher enqueues, one per fetched batch. The new items'
    follow-up (suggestions, receipts) is one job of the triage queue, after the commit.

    Tries are counted and committed before they are made, so a message that kills its worker
    still ends in quarantine after MAIL_MAX_ATTEMPTS. A batch none of whose messages was tried
    before is counted in one statement and ingested in one transaction (`ingest_batch`: the
    new reports together, every other message in a savepoint of its own; what raises is rolled
    back alone and its error recorded, the rest committed). A batch tried before (it failed, or
    its worker died) goes one message at a time, each try counted and committed on its own.
    The first error is re-raised after the commit, for rq's retry."""
    details = _raise_first(*_parse(inbound_ids))
    return ", ".join(f"{count} {detail}" for detail, count in collections.Counter(details).items()) or "nothing to do"


def parse_inbound(inbound_id: int) -> str:
    """One stored mail through the same pipeline (replays by hand, tests)."""
    details = _raise_first(*_parse([inbound_id]))
    return details[0] if details else "nothing to do"


def import_batch(inbound_ids: list[int]) -> list[str]:
    """Stored imported mail through the pipeline in this process, follow-up (suggestions,
    receipts when asked for) included: `intake import` needs no worker. A message that fails
    stays stored, with its error, for the sweeper's workers."""
    details, errors = _parse(inbound_ids, follow_up=False)
    return details + [f"error ({type(exc).__name__}), left for the workers" for _, exc in errors]


def _raise_first(details: list[str], errors: list[tuple[int, Exception]]) -> list[str]:
    """The details, or the first error (for rq's retry) once the rest is committed."""
    if errors:
        first = errors[0][1]
        if len(errors) > 1:
            first.add_note(f"{len(errors) - 1} more message(s) of this batch failed; see their rows")
        raise first
    return details


def _parse(inbound_ids: list[int], *, follow_up: bool = True) -> tuple[list[str], list[tuple[int, Exception]]]:
    inbound_ids = sorted(set(inbound_ids))
    config = current_app.config
    ingest = functools.partial(mailbox_services.ingest_batch, tracking_prefix=config["TRACKING_PREFIX"],
                               max_attempts=config["MAIL_MAX_ATTEMPTS"])
    outcomes: list[mailbox_services.IngestOutcome] = []
    errors: list[tuple[int, Exception]] = []
    one_by_one = not mailbox_services.start_batch_attempt(inbound_ids)
    if one_by_one:
        db.session.rollback()
        batches = [[inbound_id] for inbound_id in inbound_ids]
    else:
        db.session.commit()
        batches = [inbound_ids]
    for batch in batches:
        if one_by_one:
            if not mailbox_services.start_attempt(batch[0]):
                db.session.rollback()
                continue
            db.session.commit()
        batch_outcomes, batch_errors = ingest(batch)
        db.session.commit()
        outcomes += batch_outcomes
        errors += batch_errors
    new_items = [o.item_id for o in outcomes if o.new_item]
    if follow_up:
        dispatch_received(new_items)
    else:
        items_received(new_items)
    return [o.detail for o in outcomes], errors


def refetch_oversize(inbound_id: int) -> str:
    """Staff asked for an over-size message: fetch it anew, whole, from its mailbox (up to
    MAX_REPLAY_MESSAGE_MB) and send it through the pipeline. Network errors propagate for rq."""
    from intake.jobs import dispatch_inbound
    from intake.mailbox.models import InboundMessage, InboundState
    from workers.watcher import fetch_anew

    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.oversize or row.mailbox_id is None:
        return "nothing to do"
    limit_mb = current_app.config["MAX_REPLAY_MESSAGE_MB"]
    too_large = f"larger than the replay limit MAX_REPLAY_MESSAGE_MB={limit_mb}"
    raw = None
    if row.size > limit_mb * 1024 * 1024:
        reason = too_large
    else:
        raw = fetch_anew(current_app._get_current_object(), inbound_id)
        reason = "no longer on the server" if raw is None else too_large if len(raw) > limit_mb * 1024 * 1024 else None
    if reason:
        mailbox_services.record_refetch_failure(inbound_id, f"fetched anew: {reason}")
        db.session.commit()
        return reason
    mailbox_services.store_refetched(inbound_id, raw)
    db.session.commit()
    dispatch_inbound([inbound_id])
    return "fetched anew"


def suggest_item(item_id: int) -> str:
    """Suggestions alone, for an item whose receipt job could not make them."""
    if apply_suggestions(item_id) is None:
        return "missing"
    db.session.commit()
    return "suggested"
