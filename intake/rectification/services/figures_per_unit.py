"""Figures per unit (办结率, 按期办结率, 满意率), for staff and the public page."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.ratings import Satisfaction
from intake.rectification.models.tasks import RectificationTask, TaskStatus
from intake.timeutil import local_today


@dataclass
class UnitFigures:
    unit_id: int
    unit_name: str
    unit_code: str
    received: int = 0  # items about the unit
    routed: int = 0  # items routed to it in a task
    tasks: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue: int = 0  # open tasks past their deadline
    ratings: int = 0
    satisfied: int = 0  # 满意 + 基本满意
    days_to_close_total: float = 0.0

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def closed_rate(self) -> float | None:
        return self.closed / self.tasks if self.tasks else None

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None

    @property
    def average_days_to_close(self) -> float | None:
        return self.days_to_close_total / self.closed if self.closed else None


def unit_figures(
    year: int | None = None, unit_ids: list[int] | None = None, today: date | None = None
) -> list[UnitFigures]:
    """Figures per unit for a year (of dispatch / receipt), or all time."""
    from intake.reference.models import Unit

    today = today or local_today()
    units_q = select(Unit).order_by(Unit.sort_order, Unit.id)
    if unit_ids is not None:
        units_q = units_q.where(Unit.id.in_(unit_ids))
    figures = {
        u.id: UnitFigures(unit_id=u.id, unit_name=u.display_name, unit_code=u.code) for u in db.session.scalars(units_q)
    }

    received_q = (
        select(FeedbackItem.unit_id, func.count())
        .where(FeedbackItem.unit_id.is_not(None), FeedbackItem.is_auto.is_(False))
        .group_by(FeedbackItem.unit_id)
    )
    if year:
        received_q = received_q.where(FeedbackItem.year == year)
    for unit_id, count in db.session.execute(received_q):
        if unit_id in figures:
            figures[unit_id].received = count

    tasks_q = select(RectificationTask).options(
        selectinload(RectificationTask.ratings), selectinload(RectificationTask.items)
    )
    if year:
        tasks_q = tasks_q.where(RectificationTask.year == year)
    for task in db.session.scalars(tasks_q):
        f = figures.get(task.unit_id)
        if f is None:
            continue
        f.tasks += 1
        f.routed += len(task.items)
        # A reopened task (a reporter said 不满意) is not closed until staff decide.
        if task.status is TaskStatus.closed and task.closed_at:
            f.closed += 1
            if task.closed_at.date() <= task.deadline:
                f.closed_on_time += 1
            f.days_to_close_total += (task.closed_at - task.created_at).total_seconds() / 86400
        elif task.status is not TaskStatus.reopened and today > task.deadline:
            f.overdue += 1
        for rating in task.ratings:
            f.ratings += 1
            if rating.grade in (Satisfaction.satisfied, Satisfaction.basically):
                f.satisfied += 1
    return list(figures.values())
