"""rq jobs. Each takes ids, loads what it needs, calls services, and lets errors propagate
so rq's retry and failed-job registry see them. The worker provides the app context."""
import logging

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mail import acknowledgement_for, mail_configured, send_message
from intake.feedback import services as feedback_services

log = logging.getLogger(__name__)


def item_received(item_id: int) -> str:
    """Follow-up of a new item: send the reporter a receipt (回执) once, when we can."""
    item = db.session.get(FeedbackItem, item_id)
    if item is None:
        # The row is committed before the job is enqueued, so this is a deleted item.
        return "missing"
    reporter = item.reporter
    if item.acknowledged_at is not None:
        return "already acknowledged"
    if reporter is None or not reporter.email or reporter.wants_anonymity:
        return "no address"
    if not mail_configured():
        log.info("SMTP not configured; no receipt for %s", item.tracking_code)
        return "smtp not configured"
    message = acknowledgement_for(item)
    send_message(message)
    feedback_services.record_acknowledgement(item, message["Message-ID"])
    db.session.commit()
    return "sent"
