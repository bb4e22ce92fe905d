"""Mail set aside: quarantine with its reason, and the way back into the pipeline (a replay after a
fix, or an over-size message fetched anew at staff's request)."""

import hashlib
import logging

from sqlalchemy import update

from intake.extensions import db
from intake.mailbox.models import InboundMessage, InboundState
from intake.timeutil import utcnow

log = logging.getLogger(__name__)


def quarantine_inbound(row: InboundMessage, reason: str) -> None:
    """Set a message aside with its raw bytes and the reason; later messages go on."""
    log.warning("inbound %s quarantined: %s", row.id, reason)
    row.state = InboundState.quarantined
    row.error = reason[:4000]
    row.processed_at = utcnow()
    db.session.flush()


class ReplayError(ValueError):
    """Only a quarantined message with its bytes can be replayed."""


def replay_inbound(inbound_id: int, *, actor_id: int | None = None) -> InboundMessage:
    """Send a quarantined message through the pipeline again (e.g. after a fix)."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.quarantined:
        raise ReplayError("not quarantined")
    log.info("inbound %s replayed by user %s (was: %s)", row.id, actor_id, row.error)
    _back_to_pipeline(row)
    return row


def store_refetched(inbound_id: int, raw: bytes) -> InboundMessage:
    """An over-size message fetched anew at staff's request: its whole bytes replace the
    headers, and it goes through the pipeline like fresh mail."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.oversize:
        raise ReplayError("not over-size")
    log.info("inbound %s fetched anew (%d bytes)", row.id, len(raw))
    row.raw = raw
    row.sha256 = hashlib.sha256(raw).hexdigest()
    row.size = len(raw)
    _back_to_pipeline(row)
    return row


def _back_to_pipeline(row: InboundMessage) -> None:
    """Reset a stored message so the sweeper enqueues it like fresh mail, with fresh tries."""
    row.state = InboundState.stored
    row.attempts = 0
    row.error = None
    row.enqueued_at = None
    row.processed_at = None
    db.session.flush()


def record_refetch_failure(inbound_id: int, reason: str) -> None:
    """Why an over-size message could not be fetched anew; it stays over-size."""
    db.session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id).values(error=reason[:4000]))
