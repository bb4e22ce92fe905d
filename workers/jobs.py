"""rq jobs. Each takes ids, loads what it needs, calls services, and lets errors propagate
so rq's retry and failed-job registry see them. The worker provides the app context."""
import collections
import logging

from flask import current_app

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem, Source
from intake.jobs import dispatch_items, enqueue_suggestion_retry, redis_connection
from intake.mail import acknowledgement_for, send_message
from intake.mailbox import services as mailbox_services
from intake.mailbox.acks import receipt_blocker, take_acknowledgement_slot
from intake.triage.suggest.rules import RuleSet
from intake.triage.suggestions import apply_suggestions, rule_set

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
    # Suggested unit, category and priority first (idempotent), committed apart from the receipt.
    # A failing suggestion (a broken model file, say) must not hold the receipt back: it is
    # handed to a job of its own, which raises so rq retries it and staff see it failed.
    try:
        apply_suggestions(item_id)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("suggestions for item %s failed; retrying them in their own job", item_id)
        enqueue_suggestion_retry(item_id)
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
    message = acknowledgement_for(item)
    in_reply_to, references = mailbox_services.thread_headers(item)
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = " ".join(f"<{r}>" for r in references)
    send_message(message)
    feedback_services.record_acknowledgement(item, message["Message-ID"])
    mailbox_services.record_outbound(item, message)
    db.session.commit()
    return "sent"


def parse_inbound_batch(inbound_ids: list[int]) -> str:
    """Turn a fetched batch of stored mail into items (or thread entries, duplicates,
    quarantine entries): the job the watcher enqueues, one per fetched batch.

    Tries are counted and committed before they are made, so a message that kills its worker
    still ends in quarantine after MAIL_MAX_ATTEMPTS. A batch none of whose messages was tried
    before is counted in one statement and ingested in one transaction, each message in its own
    savepoint: one that raises is rolled back alone and its error recorded, the others are
    committed together. A batch tried before (it failed, or its worker died) goes one message
    at a time, each try counted and committed on its own. The first error is re-raised after
    the commit, for rq's retry."""
    details = _parse(inbound_ids)
    return ", ".join(f"{count} {detail}" for detail, count in collections.Counter(details).items()) or "nothing to do"


def parse_inbound(inbound_id: int) -> str:
    """One stored mail through the same pipeline (imports, replays by hand, tests)."""
    details = _parse([inbound_id])
    return details[0] if details else "nothing to do"


def _parse(inbound_ids: list[int]) -> list[str]:
    inbound_ids = sorted(set(inbound_ids))
    outcomes: list[mailbox_services.IngestOutcome] = []
    errors: list[Exception] = []
    if mailbox_services.start_batch_attempt(inbound_ids):
        db.session.commit()
        mailbox_services.lock_stored(inbound_ids)
        rules = rule_set()  # once per batch, in its transaction
        for inbound_id in inbound_ids:
            _try_one(inbound_id, outcomes, errors, locked=True, rules=rules)
        db.session.commit()
    else:
        db.session.rollback()
        for inbound_id in inbound_ids:
            if not mailbox_services.start_attempt(inbound_id):
                db.session.rollback()
                continue
            db.session.commit()
            _try_one(inbound_id, outcomes, errors)
            db.session.commit()
    dispatch_items([o.item_id for o in outcomes if o.follow_up])
    for outcome in outcomes:
        if outcome.suggest_later:
            enqueue_suggestion_retry(outcome.item_id)
    if errors:
        if len(errors) > 1:
            errors[0].add_note(f"{len(errors) - 1} more message(s) of this batch failed; see their rows")
        raise errors[0]
    return [o.detail for o in outcomes]


def _try_one(inbound_id: int, outcomes: list, errors: list, *, locked: bool = False,
             rules: RuleSet | None = None) -> None:
    """One message in its own savepoint: ingested, and a new item's suggestions applied (in a
    savepoint of their own) and its follow-up decided in the same transaction."""
    config = current_app.config
    try:
        with db.session.begin_nested():
            outcome = mailbox_services.ingest_inbound(
                inbound_id, tracking_prefix=config["TRACKING_PREFIX"], max_attempts=config["MAIL_MAX_ATTEMPTS"],
                locked=locked,
            )
            if outcome.new_item:
                try:
                    with db.session.begin_nested():
                        apply_suggestions(outcome.item_id, rules)
                except Exception:  # noqa: BLE001 - handed to a job of its own, which raises
                    # A failing suggestion (a broken model file, say) must not hold the mail
                    # back: the item is kept and its suggestion retried in its own job.
                    log.exception("suggestions for item %s failed; retrying them in their own job", outcome.item_id)
                    outcome.suggest_later = True
                if outcome.acknowledge:
                    item = db.session.get(FeedbackItem, outcome.item_id)
                    if receipt_blocker(item) is None:
                        outcome.follow_up = True  # item_received sends it, and marks itself
                    else:
                        # No receipt will ever go out: nothing for a follow-up job to do.
                        feedback_services.mark_dispatched([outcome.item_id])
    except Exception as exc:  # noqa: BLE001 - recorded on its row, re-raised by the caller
        log.warning("inbound %s failed: %s: %s", inbound_id, type(exc).__name__, exc)
        mailbox_services.record_attempt_error(inbound_id, exc)
        errors.append(exc)
        return
    outcomes.append(outcome)


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
