"""个人信息保护法: a reporter's contact details are erased, not the matter itself, when the
reporter asks once their report is closed, and by the retention job CONTACT_RETENTION_DAYS after
it was closed; staff can give a reporter everything kept about them.

Erasing takes the reporter's name, phone and email, the client-address HMAC of a web report,
the raw mail (its headers carry the address) and sender of each mail of the item, and the
address of staff replies. What the reporter wrote, the item's history and its outcome stay."""

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from intake.extensions import db
from intake.feedback.models import Event, EventKind, FeedbackItem, ItemStatus, Reporter
from intake.mailbox.models import Direction, InboundMessage, ThreadEntry
from intake.triage.models import StaffReply

REQUESTED = "reporter request"
RETENTION = "retention period"


def has_contact(item: FeedbackItem) -> bool:
    reporter = item.reporter
    return bool(item.client_ip or (reporter and (reporter.name or reporter.phone or reporter.email)))


def may_erase_on_request(item: FeedbackItem) -> bool:
    """Once the matter is closed, and while there is something to erase."""
    return item.status.is_final and has_contact(item)


def erase_contact(item: FeedbackItem, reason: str, actor_id: int | None = None) -> bool:
    """Erase what identifies the reporter of `item` (see the module doc). A reporter shared with
    another item that is not final yet keeps their details until that one is final too."""
    if not has_contact(item):
        return False
    reporter = item.reporter
    if reporter is not None:
        open_items = db.session.scalar(
            select(FeedbackItem.id).where(
                FeedbackItem.reporter_id == reporter.id,
                FeedbackItem.id != item.id,
                FeedbackItem.status.not_in([s for s in ItemStatus if s.is_final]),
            )
        )
        if open_items is None:
            reporter.name = reporter.phone = reporter.email = None
    item.client_ip = None
    db.session.execute(update(InboundMessage).where(InboundMessage.item_id == item.id).values(raw=None, from_addr=None))
    db.session.execute(
        update(ThreadEntry)
        .where(ThreadEntry.item_id == item.id, ThreadEntry.direction == Direction.inbound)
        .values(sender=None)
    )
    db.session.execute(update(StaffReply).where(StaffReply.item_id == item.id).values(to_addr=""))
    item.events.append(Event(kind=EventKind.contact_erased, actor_id=actor_id, note=reason))
    db.session.flush()
    return True


def items_past_retention(now: datetime, days: int, limit: int = 500) -> list[int]:
    """Closed (or otherwise final) items whose retention has run out and that still hold contact
    details, oldest first."""
    reporter_has = or_(Reporter.name.is_not(None), Reporter.phone.is_not(None), Reporter.email.is_not(None))
    query = (
        select(FeedbackItem.id)
        .outerjoin(Reporter, Reporter.id == FeedbackItem.reporter_id)
        .where(
            FeedbackItem.status.in_([s for s in ItemStatus if s.is_final]),
            func.coalesce(FeedbackItem.closed_at, FeedbackItem.updated_at) < now - timedelta(days=days),
            or_(FeedbackItem.client_ip.is_not(None), reporter_has),
        )
        .order_by(FeedbackItem.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def erase_past_retention(now: datetime, days: int) -> int:
    """One batch of the retention job; the caller commits. Returns how many items were erased."""
    erased = 0
    for item_id in items_past_retention(now, days):
        erased += erase_contact(db.session.get(FeedbackItem, item_id), RETENTION)
    return erased


def reporter_data(item: FeedbackItem) -> dict:
    """Everything kept about the reporter of `item`, for their request to see it: their details
    and every report with the same phone or email (or the same reporter record)."""
    reporter = item.reporter
    same = [FeedbackItem.reporter_id == item.reporter_id] if item.reporter_id else [FeedbackItem.id == item.id]
    if reporter and reporter.email:
        same.append(Reporter.email == reporter.email)
    if reporter and reporter.phone:
        same.append(Reporter.phone == reporter.phone)
    items = db.session.scalars(
        select(FeedbackItem)
        .outerjoin(Reporter, Reporter.id == FeedbackItem.reporter_id)
        .where(or_(*same))
        .order_by(FeedbackItem.id)
    ).all()
    return {
        "reporter": {
            "name": reporter.name if reporter else None,
            "phone": reporter.phone if reporter else None,
            "email": reporter.email if reporter else None,
        },
        "reports": [
            {
                "tracking_code": i.tracking_code,
                "received_at": i.received_at.isoformat(),
                "status": i.status.value,
                "subject": i.subject,
                "body": i.body,
                "location": i.location,
                "attachments": [a.original_name for a in i.attachments],
                "history": [
                    {"at": e.created_at.isoformat(), "what": e.kind.value}
                    for e in i.events
                    if e.kind in (EventKind.created, EventKind.status_changed, EventKind.contact_erased)
                ],
            }
            for i in items
        ],
    }
