"""Work on one item: assign it, add a note, see the reporter's identity (audited), merge
duplicates into it."""

from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Event, EventKind, FeedbackItem, ItemStatus
from intake.triage.services import TriageError


def assign_item(item: FeedbackItem, assignee_id: int | None, actor_id: int) -> Event | None:
    """Give the item to a staff member (None: nobody); an event when it changes."""
    if assignee_id is not None:
        user = db.session.get(User, assignee_id)
        if user is None or not user.is_staff or not user.is_active_account:
            raise TriageError("not a staff account")
    if item.assignee_id == assignee_id:
        return None
    event = Event(
        kind=EventKind.assigned,
        actor_id=actor_id,
        from_value=str(item.assignee_id) if item.assignee_id else None,
        to_value=str(assignee_id) if assignee_id else None,
        note=user.display_name if assignee_id is not None else None,
    )
    item.assignee_id = assignee_id
    item.events.append(event)
    db.session.flush()
    return event


def add_note(item: FeedbackItem, text: str, actor_id: int) -> Event:
    """An internal note: staff only, never shown to the reporter or the unit."""
    text = (text or "").strip()
    if not text:
        raise TriageError("empty note")
    event = Event(kind=EventKind.note, actor_id=actor_id, note=text[:4000])
    item.events.append(event)
    db.session.flush()
    return event


def record_identity_view(item: FeedbackItem, actor_id: int) -> Event:
    """Staff opened the reporter's contact details: 权益保障 means every look is on record."""
    event = Event(kind=EventKind.identity_viewed, actor_id=actor_id)
    item.events.append(event)
    db.session.flush()
    return event


def merge_duplicates(primary_id: int, duplicate_ids: list[int], actor_id: int) -> list[FeedbackItem]:
    """Merge reports about the same problem into `primary_id`: each duplicate moves to status
    重复 pointing at the primary; its reporter keeps their own tracking code and the public
    status page shows the primary's outcome. An event on every item involved."""
    primary = db.session.get(FeedbackItem, primary_id)
    if primary is None:
        raise TriageError("unknown primary")
    if primary.duplicate_of_id is not None:
        primary = primary.duplicate_of  # merging into a merged item means into its primary
    merged = []
    for item_id in dict.fromkeys(duplicate_ids):
        item = db.session.get(FeedbackItem, item_id)
        if item is None or item.id == primary.id:
            continue
        if ItemStatus.duplicate not in feedback_services.ALLOWED_TRANSITIONS[item.status]:
            raise TriageError(f"{item.tracking_code} cannot be marked duplicate from {item.status.value}")
        feedback_services.change_status(item, ItemStatus.duplicate, actor_id=actor_id, note=primary.tracking_code)
        item.duplicate_of_id = primary.id
        item.events.append(Event(kind=EventKind.merged, actor_id=actor_id, to_value=primary.tracking_code))
        # Items merged into this one before follow it to the new primary.
        for earlier in db.session.scalars(select(FeedbackItem).where(FeedbackItem.duplicate_of_id == item.id)):
            earlier.duplicate_of_id = primary.id
        primary.events.append(Event(kind=EventKind.merged, actor_id=actor_id, from_value=item.tracking_code))
        merged.append(item)
    if not merged:
        raise TriageError("nothing to merge")
    db.session.flush()
    return merged


def merged_into(item: FeedbackItem) -> list[FeedbackItem]:
    return list(
        db.session.scalars(
            select(FeedbackItem).where(FeedbackItem.duplicate_of_id == item.id).order_by(FeedbackItem.id)
        )
    )
