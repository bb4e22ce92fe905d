"""Feedback items (反映), their reporters, attachments and audit trail."""

import enum
import re
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false as sa_false

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.reference.models import Category, Unit
from intake.timeutil import utcnow

# Subjects (an item's title, a mail's subject): RFC 5322's limit for one header line, so a mail's
# whole subject is kept; pages shorten long ones for display.
SUBJECT_LENGTH = 998


class ItemStatus(enum.Enum):
    pending = "pending"  # 待受理
    accepted = "accepted"  # 已受理
    routed = "routed"  # 已分办
    rectifying = "rectifying"  # 整改中
    closed = "closed"  # 已办结
    rejected = "rejected"  # 不予受理
    duplicate = "duplicate"  # 重复
    invalid = "invalid"  # 无效

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_final(self) -> bool:
        return self in (ItemStatus.closed, ItemStatus.rejected, ItemStatus.duplicate, ItemStatus.invalid)


STATUS_LABELS = {
    ItemStatus.pending: _l("Pending acceptance"),
    ItemStatus.accepted: _l("Accepted"),
    ItemStatus.routed: _l("Routed to unit"),
    ItemStatus.rectifying: _l("Under rectification"),
    ItemStatus.closed: _l("Closed"),
    ItemStatus.rejected: _l("Not accepted"),
    ItemStatus.duplicate: _l("Duplicate"),
    ItemStatus.invalid: _l("Invalid"),
}

# The lifecycle of a 12345-style desk: 受理 → 分办 → 办理 → 办结, with exits for what is not
# taken up. A closed item may be reopened (e.g. the reporter is not satisfied).
ALLOWED_TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.pending: frozenset({ItemStatus.accepted, ItemStatus.rejected, ItemStatus.duplicate, ItemStatus.invalid}),
    ItemStatus.accepted: frozenset(
        {ItemStatus.routed, ItemStatus.closed, ItemStatus.rejected, ItemStatus.duplicate, ItemStatus.pending}
    ),
    ItemStatus.routed: frozenset({ItemStatus.rectifying, ItemStatus.closed, ItemStatus.accepted}),
    ItemStatus.rectifying: frozenset({ItemStatus.closed, ItemStatus.routed}),
    ItemStatus.closed: frozenset({ItemStatus.accepted}),
    ItemStatus.rejected: frozenset({ItemStatus.pending}),
    ItemStatus.duplicate: frozenset({ItemStatus.pending}),
    ItemStatus.invalid: frozenset({ItemStatus.pending}),
}


class Source(enum.Enum):
    web = "web"
    email = "email"
    visit = "visit"  # 暗访
    inspection = "inspection"  # 明察 / 现场考察
    questionnaire = "questionnaire"  # 调查问卷
    symposium = "symposium"  # 座谈会
    petition = "petition"  # 信访部门
    member = "member"  # 委员反映

    @property
    def label(self) -> str:
        return str(SOURCE_LABELS[self])


SOURCE_LABELS = {
    Source.web: _l("Web form"),
    Source.email: _l("Mailbox"),
    Source.visit: _l("Unannounced visit"),
    Source.inspection: _l("On-site inspection"),
    Source.questionnaire: _l("Questionnaire"),
    Source.symposium: _l("Symposium"),
    Source.petition: _l("Petition office"),
    Source.member: _l("Committee member"),
}


class Kind(enum.Enum):
    complaint = "complaint"  # 投诉
    report = "report"  # 反映
    suggestion = "suggestion"  # 意见建议
    praise = "praise"  # 表扬

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    Kind.complaint: _l("Complaint"),
    Kind.report: _l("Report a problem"),
    Kind.suggestion: _l("Opinion or suggestion"),
    Kind.praise: _l("Praise"),
}


class Priority(enum.Enum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

    @property
    def label(self) -> str:
        return str(PRIORITY_LABELS[self])


PRIORITY_LABELS = {
    Priority.low: _l("Low"),
    Priority.normal: _l("Normal"),
    Priority.high: _l("High"),
    Priority.urgent: _l("Urgent"),
}


class Reporter(db.Model):
    """Who reported. Kept apart from the item so it can be masked from units and audited."""

    __tablename__ = "reporters"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    is_member: Mapped[bool] = mapped_column(Boolean, default=False)
    wants_anonymity: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def has_contact(self) -> bool:
        return bool(self.phone or self.email)


class FeedbackItem(db.Model):
    """One report from the public or a member, from any channel."""

    __tablename__ = "feedback_items"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_feedback_items_year_number"),
        Index("ix_feedback_items_queue", "status", "received_at"),
        Index("ix_feedback_items_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # sequential within the year
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    lookup_secret: Mapped[str] = mapped_column(String(64))
    source: Mapped[Source] = mapped_column(enum_column(Source, "source"))
    kind: Mapped[Kind] = mapped_column(enum_column(Kind, "kind"), default=Kind.complaint)
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, "status"), default=ItemStatus.pending)
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, "priority"), default=Priority.normal)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporters.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    # Where it happened / when, as the reporter put it (free text: "政务大厅3号窗口").
    location: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]
    # Outbox marker: set by the follow-up job when it starts. Rows still NULL whose job Redis
    # does not hold are enqueued by the sweeper, so neither a Redis outage nor a Redis that
    # lost its memory loses the job.
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)
    acknowledged_at: Mapped[datetime | None]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    # The UI language the reporter used, so what we send them is in that language.
    locale: Mapped[str] = mapped_column(String(16), default="zh_Hans")
    # Mail no person wrote (auto-replies, bounces, lists): kept, but out of the main queue.
    is_auto: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # Merged into another report about the same problem (status duplicate): the reporter keeps
    # this tracking code and sees the primary's outcome.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id"), index=True)

    unit: Mapped[Unit | None] = relationship()
    category: Mapped[Category | None] = relationship()
    reporter: Mapped[Reporter | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    duplicate_of: Mapped["FeedbackItem | None"] = relationship(remote_side=[id])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="item", order_by="Attachment.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["Event"]] = relationship(
        back_populates="item", order_by="Event.id", cascade="all, delete-orphan"
    )

    @property
    def allowed_next_statuses(self) -> list[ItemStatus]:
        return sorted(ALLOWED_TRANSITIONS[self.status], key=lambda s: list(ItemStatus).index(s))

    def __repr__(self) -> str:
        return f"<FeedbackItem {self.tracking_code} {self.status.value}>"


class Attachment(db.Model):
    """A file that came with an item, stored on disk under a generated name."""

    __tablename__ = "attachments"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    is_inline: Mapped[bool] = mapped_column(Boolean, default=False)
    # The mail part's Content-ID without angle brackets: what `cid:` URLs in the HTML body name.
    content_id: Mapped[str | None] = mapped_column(String(998))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[FeedbackItem] = relationship(back_populates="attachments")


class EventKind(enum.Enum):
    created = "created"
    status_changed = "status_changed"
    acknowledged = "acknowledged"
    note = "note"
    # Triage (issue 4).
    suggestion_applied = "suggestion_applied"
    suggestion_accepted = "suggestion_accepted"
    suggestion_corrected = "suggestion_corrected"
    priority_raised = "priority_raised"
    assigned = "assigned"
    merged = "merged"
    identity_viewed = "identity_viewed"
    reply_queued = "reply_queued"
    reply_sent = "reply_sent"
    classified = "classified"
    # 个人信息保护法: the reporter's contact details erased (on request or after retention).
    contact_erased = "contact_erased"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS[self])


EVENT_LABELS = {
    # Not "Received": that msgid is the "time received" label (收到时间) of the facts list.
    EventKind.created: _l("Report received"),
    EventKind.status_changed: _l("Status changed"),
    EventKind.acknowledged: _l("Receipt sent to reporter"),
    EventKind.note: _l("Note"),
    EventKind.suggestion_applied: _l("Suggestion applied automatically"),
    EventKind.suggestion_accepted: _l("Suggestion accepted"),
    EventKind.suggestion_corrected: _l("Suggestion corrected"),
    EventKind.priority_raised: _l("Priority raised"),
    EventKind.assigned: _l("Assigned"),
    EventKind.merged: _l("Merged duplicates"),
    EventKind.identity_viewed: _l("Reporter's contact details viewed"),
    EventKind.reply_queued: _l("Reply to reporter queued"),
    EventKind.reply_sent: _l("Reply sent to reporter"),
    EventKind.classified: _l("Unit or category set"),
    EventKind.contact_erased: _l("Reporter's contact details erased"),
}


class Event(db.Model):
    """Audit trail: one row per thing that happened to an item, with who and when."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[FeedbackItem] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def status_label(self, value: str | None) -> str:
        return ItemStatus(value).label if value else ""

    @property
    def display_note(self) -> str | None:
        """The note in the reader's language: notes the mail pipeline writes are stored in one
        fixed English form (a job has no reader) and translated when shown."""
        if self.note is None:
            return None
        match = _THREAD_MAIL_NOTE.fullmatch(self.note)
        if match is None:
            return self.note
        message, attachments = match.group(1), int(match.group(2) or 0)
        if attachments:
            return gettext(
                "Mail received in the thread: %(message)s (attachments: %(num)d)", message=message, num=attachments
            )
        return gettext("Mail received in the thread: %(message)s", message=message)


# Written by intake/mailbox/ingest.py when a mail joins an item's thread.
_THREAD_MAIL_NOTE = re.compile(r"mail received in the thread: (.*?)(?: \((\d+) attachment\(s\)\))?")


class SequenceCounter(db.Model):
    """Per-year counters for human tracking numbers, incremented atomically in the database."""

    __tablename__ = "sequence_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class TrackingLink(db.Model):
    """A one-time link to a report's progress page, sent in a mail instead of the secret: the
    first visit exchanges it for a view bound to that browser session, and it is spent. Only
    the token's SHA-256 is kept."""

    __tablename__ = "tracking_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
