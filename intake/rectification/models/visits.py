"""Members' verification visits (追踪监督) and what they decided."""

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.rectification.models.tasks import EvidenceFile, RectificationTask
from intake.timeutil import utcnow


class VisitOutcome(enum.Enum):
    accepted = "accepted"  # 同意销号
    returned = "returned"  # 退回重办

    @property
    def label(self) -> str:
        return str(VISIT_OUTCOME_LABELS[self])


VISIT_OUTCOME_LABELS = {
    VisitOutcome.accepted: _l("Fix confirmed: close the task"),
    VisitOutcome.returned: _l("Not fixed: return for rework"),
}


class VerificationVisit(db.Model):
    """Members check on site that the fix is real (追踪监督)."""

    __tablename__ = "rectification_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("rectification_tasks.id", ondelete="CASCADE"), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    visitors: Mapped[str] = mapped_column(String(300))  # who went, as written by the member
    findings: Mapped[str] = mapped_column(Text)
    outcome: Mapped[VisitOutcome] = mapped_column(enum_column(VisitOutcome, "visit_outcome"))
    reasons: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[RectificationTask] = relationship(back_populates="visits")
    recorded_by: Mapped[User | None] = relationship()
    photos: Mapped[list[EvidenceFile]] = relationship(order_by=EvidenceFile.id)
