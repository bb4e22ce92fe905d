"""The thread of mail with a reporter, and the addresses that bounce: whether a reporter's mail
may be acknowledged, and the headers and thread entry that let replies find their item."""

from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import SUBJECT_LENGTH, FeedbackItem
from intake.mailbox.models import BouncingAddress, Direction, InboundMessage, InboundState, ThreadEntry
from intake.mailbox.services import _cut
from intake.timeutil import utcnow


def mark_bouncing(address: str, inbound_id: int | None = None) -> None:
    address = address.strip().lower()[:254]
    if not address:
        return
    entry = db.session.scalar(select(BouncingAddress).where(BouncingAddress.address == address))
    if entry is None:
        db.session.add(BouncingAddress(address=address, bounces=1, last_inbound_id=inbound_id))
    else:
        entry.bounces += 1
        entry.last_bounced_at = utcnow()
        entry.last_inbound_id = inbound_id
    db.session.flush()


def is_bouncing(address: str | None) -> bool:
    if not address:
        return False
    return (
        db.session.scalar(select(BouncingAddress.id).where(BouncingAddress.address == address.strip().lower()))
        is not None
    )


def asked_for_receipt(item_id: int) -> bool:
    """Whether the mail an item was made from may be acknowledged (imported mail may not,
    unless the import asked for it)."""
    first = db.session.scalar(
        select(InboundMessage.acknowledge)
        .where(InboundMessage.item_id == item_id, InboundMessage.state == InboundState.parsed)
        .order_by(InboundMessage.id)
        .limit(1)
    )
    return first is not False


def thread_headers(item: FeedbackItem) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a mail we send about `item`, so the reporter's mailer
    threads it and their answer comes back to the same item."""
    ids = list(
        db.session.scalars(
            select(ThreadEntry.message_id)
            .where(ThreadEntry.item_id == item.id, ThreadEntry.message_id.is_not(None))
            .order_by(ThreadEntry.id)
        )
    )
    if not ids:
        return None, []
    return ids[-1], ids[-20:]


def record_outbound(item: FeedbackItem, message: EmailMessage) -> ThreadEntry:
    """Keep a mail we sent in the item's thread, with its Message-ID, so replies find the item."""
    message_id = (message.get("Message-ID") or "").strip().strip("<>") or None
    body = message.get_body(("plain",))
    entry = ThreadEntry(
        item_id=item.id,
        direction=Direction.outbound,
        message_id=_cut(message_id, 998),
        sender=_cut(parseaddr(str(message.get("From", "")))[1], 254),
        subject=_cut(str(message.get("Subject", "")), SUBJECT_LENGTH),
        text=body.get_content() if body is not None else "",
        is_auto=True,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
