"""The task (one row of the 整改台账) and what hangs on it: its statuses and the moves between
them, its timeline, the unit's evidence files and extension requests, the attachments staff
released to the unit."""

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false as sa_false
from sqlalchemy.sql.expression import true as sa_true

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.feedback.models import Attachment, FeedbackItem
from intake.reference.models import Unit
from intake.timeutil import utcnow

if TYPE_CHECKING:  # named as strings in the relationships below
    from intake.rectification.models.ratings import ReporterRating
    from intake.rectification.models.visits import VerificationVisit


class TaskStatus(enum.Enum):
    dispatched = "dispatched"  # 已派发
    signed = "signed"  # 已签收
    in_progress = "in_progress"  # 整改中
    reported_done = "reported_done"  # 已报告完成
    verifying = "verifying"  # 委员核实
    closed = "closed"  # 已销号
    returned = "returned"  # 退回重办
    reopened = "reopened"  # 群众不满意，待机关研判

    @property
    def label(self) -> str:
        return str(TASK_STATUS_LABELS[self])

    @property
    def is_open(self) -> bool:
        return self is not TaskStatus.closed


TASK_STATUS_LABELS = {
    TaskStatus.dispatched: _l("Dispatched"),
    TaskStatus.signed: _l("Signed for"),
    TaskStatus.in_progress: _l("Rectifying"),
    TaskStatus.reported_done: _l("Reported done"),
    TaskStatus.verifying: _l("Being verified by members"),
    TaskStatus.closed: _l("Closed (verified)"),
    TaskStatus.returned: _l("Returned for rework"),
    TaskStatus.reopened: _l("Reopened: reporter not satisfied"),
}

# Who moves a task where is decided in services; this table only says which moves exist.
TASK_TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.dispatched: frozenset({TaskStatus.signed}),
    TaskStatus.signed: frozenset({TaskStatus.in_progress, TaskStatus.reported_done}),
    TaskStatus.in_progress: frozenset({TaskStatus.reported_done}),
    TaskStatus.reported_done: frozenset({TaskStatus.verifying, TaskStatus.returned}),
    TaskStatus.verifying: frozenset({TaskStatus.closed, TaskStatus.returned}),
    TaskStatus.returned: frozenset({TaskStatus.in_progress, TaskStatus.reported_done}),
    TaskStatus.closed: frozenset({TaskStatus.reopened}),
    TaskStatus.reopened: frozenset({TaskStatus.returned, TaskStatus.closed}),
}


task_items = Table(
    "rectification_task_items",
    db.metadata,
    Column("task_id", ForeignKey("rectification_tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", ForeignKey("feedback_items.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class RectificationTask(db.Model):
    """One row of the 整改台账: a problem as the committee states it, handed to one unit."""

    __tablename__ = "rectification_tasks"
    __table_args__ = (
        UniqueConstraint("year", "number", name="uq_rectification_tasks_year_number"),
        CheckConstraint("first_answer_due <= deadline", name="first_answer_before_deadline"),
        CheckConstraint("returned_count >= 0", name="returned_count_not_negative"),
        Index("ix_rectification_tasks_unit_status", "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    problem: Mapped[str] = mapped_column(Text)  # 问题描述, in the committee's words
    requirement: Mapped[str] = mapped_column(Text)  # 整改要求
    measures: Mapped[str | None] = mapped_column(Text)  # 整改措施, from the unit
    responsible_person: Mapped[str | None] = mapped_column(String(100))  # 责任人
    completion_report: Mapped[str | None] = mapped_column(Text)  # 完成情况
    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "task_status"), default=TaskStatus.dispatched)
    # 整改时限 and the first answer (签收并答复) in working days from dispatch, as dates.
    deadline: Mapped[date] = mapped_column(Date)
    first_answer_due: Mapped[date] = mapped_column(Date)
    deadline_workdays: Mapped[int] = mapped_column(Integer)
    first_answer_workdays: Mapped[int] = mapped_column(Integer)
    # Counted into a year whose holiday schedule nobody had yet (weekends and statutory holidays
    # only); the reason is the years, comma-separated. Recomputed when the schedule is entered.
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    provisional_years: Mapped[str | None] = mapped_column(String(32))
    deadline_counted_from: Mapped[date | None] = mapped_column(Date)  # the day working days count after
    returned_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Each closure is a round; reporters rate each round once.
    closure_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    signed_at: Mapped[datetime | None]
    reported_done_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User | None] = relationship()
    items: Mapped[list[FeedbackItem]] = relationship(secondary=task_items, order_by=FeedbackItem.id)
    events: Mapped[list["TaskEvent"]] = relationship(
        back_populates="task", order_by="TaskEvent.id", cascade="all, delete-orphan"
    )
    files: Mapped[list["EvidenceFile"]] = relationship(
        back_populates="task", order_by="EvidenceFile.id", cascade="all, delete-orphan"
    )
    extension_requests: Mapped[list["ExtensionRequest"]] = relationship(
        back_populates="task", order_by="ExtensionRequest.id", cascade="all, delete-orphan"
    )
    visits: Mapped[list["VerificationVisit"]] = relationship(
        back_populates="task", order_by="VerificationVisit.id", cascade="all, delete-orphan"
    )
    ratings: Mapped[list["ReporterRating"]] = relationship(
        back_populates="task", order_by="ReporterRating.id", cascade="all, delete-orphan"
    )
    releases: Mapped[list["AttachmentRelease"]] = relationship(
        back_populates="task", order_by="AttachmentRelease.id", cascade="all, delete-orphan"
    )

    @property
    def progress_updates(self) -> list["TaskEvent"]:
        return [e for e in self.events if e.kind is TaskEventKind.progress]

    @property
    def pending_extension(self) -> "ExtensionRequest | None":
        return next((r for r in self.extension_requests if r.decision is ExtensionDecision.pending), None)

    @property
    def released_attachment_ids(self) -> set[int]:
        return {r.attachment_id for r in self.releases if r.released_to_unit}

    @property
    def provisional_year_list(self) -> str:
        return "、".join((self.provisional_years or "").split(","))

    @property
    def awaits_staff_decision(self) -> bool:
        """A reporter rated 不满意: the task is not closed until staff decide."""
        return self.status is TaskStatus.reopened

    def is_overdue(self, today: date) -> bool:
        if self.status is TaskStatus.closed:
            return bool(self.closed_at and self.closed_at.date() > self.deadline)
        return today > self.deadline

    def __repr__(self) -> str:
        return f"<RectificationTask {self.code} {self.status.value}>"


class TaskEventKind(enum.Enum):
    created = "created"
    status_changed = "status_changed"
    item_linked = "item_linked"
    progress = "progress"
    evidence = "evidence"
    extension_requested = "extension_requested"
    extension_decided = "extension_decided"
    deadline_changed = "deadline_changed"
    attachment_released = "attachment_released"
    visit = "visit"
    rating = "rating"
    reminder = "reminder"
    escalation = "escalation"
    deadline_recomputed = "deadline_recomputed"
    attachment_hidden = "attachment_hidden"

    @property
    def label(self) -> str:
        return str(TASK_EVENT_LABELS[self])


TASK_EVENT_LABELS = {
    TaskEventKind.created: _l("Routed to the unit"),
    TaskEventKind.status_changed: _l("Status changed"),
    TaskEventKind.item_linked: _l("Report added to the task"),
    TaskEventKind.progress: _l("Progress"),
    TaskEventKind.evidence: _l("Evidence uploaded"),
    TaskEventKind.extension_requested: _l("Extension requested"),
    TaskEventKind.extension_decided: _l("Extension decided"),
    TaskEventKind.deadline_changed: _l("Deadline changed"),
    TaskEventKind.attachment_released: _l("Original attachment released to the unit"),
    TaskEventKind.visit: _l("Verification visit"),
    TaskEventKind.rating: _l("Reporter rated the outcome"),
    TaskEventKind.reminder: _l("Reminder sent to the unit"),
    TaskEventKind.escalation: _l("Overdue: escalated to staff"),
    TaskEventKind.deadline_recomputed: _l("Deadline recomputed with the official holiday schedule"),
    TaskEventKind.attachment_hidden: _l("Original attachment hidden from the unit again"),
}


class TaskEvent(db.Model):
    """The task's timeline: one row per step, with who and when."""

    __tablename__ = "rectification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[TaskEventKind] = mapped_column(enum_column(TaskEventKind, "task_event_kind"))
    from_value: Mapped[str | None] = mapped_column(String(64))
    to_value: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RectificationTask] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    def status_label(self, value: str | None) -> str:
        return TaskStatus(value).label if value else ""


class EvidenceKind(enum.Enum):
    evidence = "evidence"  # 整改佐证材料, from the unit
    visit_photo = "visit_photo"  # 核实照片, from members


class EvidenceFile(db.Model):
    """A file attached to a task, stored on disk under a generated name like Attachment."""

    __tablename__ = "rectification_files"
    __table_args__ = (CheckConstraint("size >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_visits.id", ondelete="CASCADE"))
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, "evidence_kind"))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RectificationTask] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()


class AttachmentRelease(db.Model):
    """An original attachment of a linked item that staff released to the unit, one by one
    (photos can identify the reporter; nothing is released by default)."""

    __tablename__ = "rectification_attachment_releases"
    __table_args__ = (UniqueConstraint("task_id", "attachment_id", name="uq_rectification_release_task_attachment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="CASCADE"))
    released_to_unit: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    # What the unit downloads: a copy without identifying metadata (intake/core/metadata.py)
    # when anything was found; `metadata_removed` lists it, one line each, for staff. NULL
    # cleaned_stored_name: the original is served (nothing found, or a type that cannot be
    # cleaned, which staff were warned about: metadata_cleanable false).
    cleaned_stored_name: Mapped[str | None] = mapped_column(String(64))
    cleaned_size: Mapped[int | None] = mapped_column(Integer)
    metadata_removed: Mapped[str | None] = mapped_column(Text)
    metadata_cleanable: Mapped[bool | None] = mapped_column(Boolean)

    task: Mapped[RectificationTask] = relationship(back_populates="releases")
    attachment: Mapped[Attachment] = relationship()

    @property
    def removed_list(self) -> list[str]:
        return [line for line in (self.metadata_removed or "").splitlines() if line]


class ExtensionDecision(enum.Enum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"

    @property
    def label(self) -> str:
        return str(EXTENSION_LABELS[self])


EXTENSION_LABELS = {
    ExtensionDecision.pending: _l("Awaiting decision"),
    ExtensionDecision.approved: _l("Approved"),
    ExtensionDecision.rejected: _l("Refused"),
}


class ExtensionRequest(db.Model):
    """The unit asks for more time (申请延期); staff decide."""

    __tablename__ = "rectification_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    decision: Mapped[ExtensionDecision] = mapped_column(
        enum_column(ExtensionDecision, "extension_decision"), default=ExtensionDecision.pending
    )
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RectificationTask] = relationship(back_populates="extension_requests")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
