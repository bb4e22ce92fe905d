"""Outbox rows for the ledger's mail: the outcome to each reporter, reminders and escalations."""

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.tasks import RectificationTask
from intake.timeutil import utcnow


class ClosureNotice(db.Model):
    """Outbox row: tell one item's reporter the outcome of one closure round, at most once."""

    __tablename__ = "rectification_closure_notices"
    __table_args__ = (UniqueConstraint("task_id", "item_id", "closure_round", name="uq_rectification_notice_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"))
    closure_round: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(index=True)
    mailed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))  # sent / no address / ...
    message_id: Mapped[str | None] = mapped_column(String(255))

    task: Mapped[RectificationTask] = relationship()
    item: Mapped[FeedbackItem] = relationship()


class ReminderKind(enum.Enum):
    first_answer_due = "first_answer_due"  # 签收答复将到期
    first_answer_overdue = "first_answer_overdue"
    deadline_soon = "deadline_soon"  # 整改时限将到
    overdue = "overdue"  # 逾期，升级至机关
    dissatisfied = "dissatisfied"  # 群众不满意，告知机关工作人员


class TaskReminder(db.Model):
    """One reminder or escalation per (task, kind, deadline): the unique key is what makes a
    second tick send nothing. A changed deadline is a new key, so it is reminded again."""

    __tablename__ = "rectification_reminders"
    __table_args__ = (UniqueConstraint("task_id", "kind", "due_date", name="uq_rectification_reminders_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"))
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int | None] = mapped_column(Integer)

    task: Mapped[RectificationTask] = relationship()
