"""rq jobs. Each takes ids, loads what it needs, calls services, and lets errors propagate
so rq's retry and failed-job registry see them. The worker provides the app context."""
import logging

from flask import current_app

from intake.extensions import db
from intake.jobs import dispatch_items, redis_connection
from intake.mailbox import services as mailbox_services
from intake.mailbox.acks import take_acknowledgement_slot
from intake.feedback.models import FeedbackItem, Source
from intake.mail import acknowledgement_for, mail_configured, send_message
from intake.feedback import services as feedback_services
from intake.triage.suggestions import apply_suggestions

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
    apply_suggestions(item_id)
    db.session.commit()
    reporter = item.reporter
    if item.acknowledged_at is not None:
        return "already acknowledged"
    if reporter is None or not reporter.email or reporter.wants_anonymity:
        return "no address"
    if item.is_auto:
        # RFC 3834: never answer mail no person wrote (auto-replies, bounces, lists).
        return "auto mail"
    if mailbox_services.is_bouncing(reporter.email):
        return "address bounces"
    if not mail_configured():
        log.info("SMTP not configured; no receipt for %s", item.tracking_code)
        return "smtp not configured"
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


def parse_inbound(inbound_id: int) -> str:
    """Turn one stored mail into an item (or a thread entry, a duplicate, a quarantine entry).

    The try is counted and committed first, so a message that kills its worker still ends in
    quarantine after MAIL_MAX_ATTEMPTS. Errors are recorded on the row and re-raised for rq."""
    config = current_app.config
    if not mailbox_services.start_attempt(inbound_id):
        db.session.rollback()
        return "nothing to do"
    db.session.commit()
    try:
        outcome = mailbox_services.ingest_inbound(
            inbound_id, tracking_prefix=config["TRACKING_PREFIX"], max_attempts=config["MAIL_MAX_ATTEMPTS"]
        )
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        mailbox_services.record_attempt_error(inbound_id, exc)
        db.session.commit()
        raise
    if outcome.new_item:
        # Imported mail gets no item_received job: suggest here (idempotent either way).
        apply_suggestions(outcome.item_id)
        db.session.commit()
    if outcome.acknowledge:
        dispatch_items([outcome.item_id])
    return outcome.detail
