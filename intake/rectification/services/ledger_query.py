"""The ledger (整改台账) as rows: tasks by unit, status and dispatch date, with their ratings."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.ratings import Satisfaction
from intake.rectification.models.tasks import RectificationTask, TaskStatus, task_items
from intake.timeutil import local_today


@dataclass
class LedgerFilter:
    unit_id: int | None = None
    status: str | None = None  # a TaskStatus value, "open", "overdue" or None for all
    date_from: date | None = None  # dispatched on or after
    date_to: date | None = None  # dispatched on or before


def ledger_tasks(f: LedgerFilter, today: date | None = None) -> list[RectificationTask]:
    query = select(RectificationTask).options(
        selectinload(RectificationTask.unit),
        selectinload(RectificationTask.items),
        selectinload(RectificationTask.events),
        selectinload(RectificationTask.visits),
        selectinload(RectificationTask.ratings),
    )
    if f.unit_id:
        query = query.where(RectificationTask.unit_id == f.unit_id)
    if f.status == "open":
        query = query.where(RectificationTask.status != TaskStatus.closed)
    elif f.status == "overdue":
        query = query.where(
            RectificationTask.status != TaskStatus.closed, RectificationTask.deadline < (today or local_today())
        )
    elif f.status:
        query = query.where(RectificationTask.status == TaskStatus(f.status))
    if f.date_from:
        query = query.where(RectificationTask.created_at >= datetime.combine(f.date_from, datetime.min.time()))
    if f.date_to:
        query = query.where(
            RectificationTask.created_at < datetime.combine(f.date_to + timedelta(days=1), datetime.min.time())
        )
    return list(db.session.scalars(query.order_by(RectificationTask.year, RectificationTask.number)))


def satisfaction_counts(task: RectificationTask) -> dict[Satisfaction, int]:
    counts = {grade: 0 for grade in Satisfaction}
    for rating in task.ratings:
        counts[rating.grade] += 1
    return counts


def in_overdue_task(today: date | None = None):
    """SQL condition on FeedbackItem: the item is in an open task whose deadline has passed
    (the staff queue's "rectification overdue" filter), on the county's calendar day."""
    return exists().where(
        task_items.c.item_id == FeedbackItem.id,
        RectificationTask.id == task_items.c.task_id,
        RectificationTask.status != TaskStatus.closed,
        RectificationTask.deadline < (today or local_today()),
    )
