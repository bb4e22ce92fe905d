"""The reporter's verdict on the outcome (回访): one rating per item and closure round."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.tasks import RectificationTask
from intake.timeutil import utcnow


class Satisfaction(enum.Enum):
    satisfied = "satisfied"  # 满意
    basically = "basically"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意

    @property
    def label(self) -> str:
        return str(SATISFACTION_LABELS[self])


SATISFACTION_LABELS = {
    Satisfaction.satisfied: _l("Satisfied"),
    Satisfaction.basically: _l("Basically satisfied"),
    Satisfaction.dissatisfied: _l("Not satisfied"),
}


class ReporterRating(db.Model):
    """The reporter's verdict on the outcome (回访): one per item and closure round."""

    __tablename__ = "rectification_ratings"
    __table_args__ = (UniqueConstraint("task_id", "item_id", "closure_round", name="uq_rectification_ratings_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"), index=True)
    closure_round: Mapped[int] = mapped_column(Integer)
    grade: Mapped[Satisfaction] = mapped_column(enum_column(Satisfaction, "satisfaction"))
    comment: Mapped[str | None] = mapped_column(Text)  # staff only: it may name the reporter
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RectificationTask] = relationship(back_populates="ratings")
    item: Mapped[FeedbackItem] = relationship()
