"""Write operations on feedback items: submission, status changes, lookup.

Services take plain values, flush, and leave the commit to the caller (request or job)."""

import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy import insert, select, text, update

from intake.core.text import blank_to_none
from intake.extensions import db
from intake.feedback.models import (
    ALLOWED_TRANSITIONS,
    Attachment,
    Event,
    EventKind,
    FeedbackItem,
    ItemStatus,
    Kind,
    Priority,
    Reporter,
    Source,
)
from intake.storage import store_many
from intake.timeutil import utcnow

# No 0/O, 1/I/L: the secret is read off a phone screen and typed back.
SECRET_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SECRET_LENGTH = 10
SUBJECT_FROM_BODY_CHARS = 40


class TransitionError(ValueError):
    """A status change the lifecycle does not allow."""


@dataclass
class ReporterInput:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    is_member: bool = False
    wants_anonymity: bool = False
    user_id: int | None = None


@dataclass
class UploadInput:
    filename: str
    content_type: str
    stream: BinaryIO
    is_inline: bool = False  # an image shown inside a mail's HTML body
    content_id: str | None = None  # what the mail's HTML calls it (cid:...)


@dataclass
class SubmissionInput:
    source: Source
    body: str
    subject: str | None = None
    kind: Kind = Kind.complaint
    unit_id: int | None = None
    category_id: int | None = None
    location: str | None = None
    reporter: ReporterInput | None = None
    uploads: list[UploadInput] = field(default_factory=list)
    client_ip: str | None = None
    locale: str = "zh_Hans"
    is_auto: bool = False  # mail no person wrote: kept out of the main queue


def new_lookup_secret() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


# One statement, the same on PostgreSQL and SQLite (3.35+): the counter row stays locked only
# from here to the commit, and a new year starts its own row. Takes `count` numbers at once
# and returns the last of them.
_NEXT_SEQUENCE_VALUES = text(
    "INSERT INTO sequence_counters (name, year, value) VALUES (:name, :year, :count) "
    "ON CONFLICT (name, year) DO UPDATE SET value = sequence_counters.value + :count "
    "RETURNING value"
)


def next_sequence_value(name: str, year: int, count: int = 1) -> int:
    """Atomically take the next `count` numbers of a per-year counter, inside the caller's
    transaction; returns the last one (the first is `last - count + 1`)."""
    return db.session.execute(_NEXT_SEQUENCE_VALUES, {"name": name, "year": year, "count": count}).scalar_one()


def format_tracking_code(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:06d}"


_TYPED_CODE = re.compile(r"([A-Z]+)[^A-Z0-9]*(\d{4})[^A-Z0-9]*(\d+)")


def normalize_tracking_code(typed: str) -> str:
    """A tracking code as people type it, in its stored form: full-width characters (a Chinese
    input method's ＪＤ２０２６), any case, without or with other hyphens and spaces."""
    code = unicodedata.normalize("NFKC", typed or "").strip().upper()
    match = _TYPED_CODE.fullmatch(code)
    if match is None:
        return code
    prefix, year, number = match.groups()
    return format_tracking_code(prefix, int(year), int(number))


def normalize_secret(typed: str) -> str:
    return "".join(unicodedata.normalize("NFKC", typed or "").upper().split()).replace("-", "")


def subject_from_body(body: str) -> str:
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if len(first_line) <= SUBJECT_FROM_BODY_CHARS:
        return first_line
    return first_line[:SUBJECT_FROM_BODY_CHARS] + "…"


def submit_feedback(data: SubmissionInput, *, tracking_prefix: str, actor_id: int | None = None) -> FeedbackItem:
    """Create an item with its reporter and files and the first audit event."""
    [item_id] = submit_many([data], tracking_prefix=tracking_prefix, actor_id=actor_id)
    return db.session.get(FeedbackItem, item_id)


def submit_many(submissions: list[SubmissionInput], *, tracking_prefix: str, actor_id: int | None = None) -> list[int]:
    """Create items with their reporters, files and first audit events: one statement per
    table however many items (a fetched batch of mail is a hundred). Returns the new ids in
    the order given.

    Files are written and the rows built before the first write to the database, and the
    per-year numbers are taken just before the item inserts: the counter row stays locked from
    there to the caller's commit (for a batch of mail, the rest of the batch)."""
    if not submissions:
        return []
    now = utcnow()
    stored = iter(store_many([upload.stream for data in submissions for upload in data.uploads]))
    stored_files = [[(upload, next(stored)) for upload in data.uploads] for data in submissions]
    reporter_rows = [_reporter_row(data.reporter, now) for data in submissions if data.reporter is not None]
    reporter_ids = iter(_insert_returning_ids(Reporter, reporter_rows))
    last = next_sequence_value("feedback", now.year, len(submissions))
    item_rows = []
    for number, data in enumerate(submissions, start=last - len(submissions) + 1):
        body = data.body.strip()
        item_rows.append(
            dict(
                year=now.year,
                number=number,
                tracking_code=format_tracking_code(tracking_prefix, now.year, number),
                lookup_secret=new_lookup_secret(),
                source=data.source,
                kind=data.kind,
                status=ItemStatus.pending,
                priority=Priority.normal,
                unit_id=data.unit_id,
                category_id=data.category_id,
                reporter_id=next(reporter_ids) if data.reporter is not None else None,
                subject=blank_to_none(data.subject) or subject_from_body(body),
                body=body,
                location=blank_to_none(data.location),
                received_at=now,
                updated_at=now,
                client_ip=data.client_ip,
                locale=data.locale,
                is_auto=data.is_auto,
            )
        )
    item_ids = _insert_returning_ids(FeedbackItem, item_rows)
    attachment_rows = [
        _attachment_row(item_id, upload, stored, now)
        for item_id, files in zip(item_ids, stored_files)
        for upload, stored in files
    ]
    if attachment_rows:
        db.session.execute(insert(Attachment), attachment_rows)
    db.session.execute(
        insert(Event),
        [
            dict(
                item_id=item_id,
                kind=EventKind.created,
                actor_id=actor_id,
                to_value=ItemStatus.pending.value,
                created_at=now,
            )
            for item_id in item_ids
        ],
    )
    return item_ids


def add_attachments(item_id: int, uploads: list[UploadInput]) -> int:
    """Files that came later for an item (a reporter's reply by mail with more photos)."""
    if not uploads:
        return 0
    now = utcnow()
    stored = store_many([upload.stream for upload in uploads])
    db.session.execute(
        insert(Attachment), [_attachment_row(item_id, upload, file, now) for upload, file in zip(uploads, stored)]
    )
    return len(uploads)


def _attachment_row(item_id: int, upload: UploadInput, stored, now) -> dict:
    return dict(
        item_id=item_id,
        stored_name=stored.stored_name,
        original_name=upload.filename,
        content_type=upload.content_type,
        size=stored.size,
        sha256=stored.sha256,
        is_inline=upload.is_inline,
        content_id=upload.content_id,
        created_at=now,
    )


def _reporter_row(r: ReporterInput, now) -> dict:
    return dict(
        name=blank_to_none(r.name),
        phone=blank_to_none(r.phone),
        email=blank_to_none(r.email.lower()) if r.email else None,
        is_member=r.is_member,
        wants_anonymity=r.wants_anonymity,
        user_id=r.user_id,
        created_at=now,
    )


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """Insert rows in one statement (batched by the driver) and return their ids in order."""
    if not rows:
        return []
    return list(db.session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), rows))


def change_status(
    item: FeedbackItem, new_status: ItemStatus, *, actor_id: int | None, note: str | None = None
) -> Event:
    """The one way an item's status changes; it always leaves an audit event."""
    old_status = item.status
    if new_status not in ALLOWED_TRANSITIONS[old_status]:
        raise TransitionError(f"{old_status.value} -> {new_status.value}")
    item.status = new_status
    item.closed_at = utcnow() if new_status is ItemStatus.closed else None
    event = Event(
        kind=EventKind.status_changed,
        actor_id=actor_id,
        from_value=old_status.value,
        to_value=new_status.value,
        note=blank_to_none(note),
    )
    item.events.append(event)
    db.session.flush()
    return event


def find_by_tracking(code: str, secret: str) -> FeedbackItem | None:
    """The item for a tracking code, only when the lookup secret matches."""
    code = normalize_tracking_code(code)
    secret = normalize_secret(secret)
    item = db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == code))
    # Compare even when no item matched, so timing does not tell which codes exist.
    expected = item.lookup_secret if item is not None else "-" * SECRET_LENGTH
    if not hmac.compare_digest(expected.encode(), secret.encode()):
        return None
    return item


def mark_dispatched(item_ids: list[int]) -> None:
    db.session.execute(update(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).values(dispatched_at=utcnow()))


def undispatched(item_ids: list[int]) -> list[int]:
    """Of these items, those whose follow-up has not started, in id order."""
    return list(
        db.session.scalars(
            select(FeedbackItem.id)
            .where(FeedbackItem.id.in_(item_ids), FeedbackItem.dispatched_at.is_(None))
            .order_by(FeedbackItem.id)
        )
    )


def undispatched_item_ids(limit: int = 500, after_id: int = 0) -> list[int]:
    """Items whose follow-up job has not started, in id order from after_id (keyset)."""
    return list(
        db.session.scalars(
            select(FeedbackItem.id)
            .where(FeedbackItem.dispatched_at.is_(None), FeedbackItem.id > after_id)
            .order_by(FeedbackItem.id)
            .limit(limit)
        )
    )


def record_acknowledgement(item: FeedbackItem, message_id: str) -> None:
    item.acknowledged_at = utcnow()
    item.events.append(Event(kind=EventKind.acknowledged, note=message_id))
    db.session.flush()
