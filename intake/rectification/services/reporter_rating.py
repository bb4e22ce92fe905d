"""The reporter's verdict (回访): the outcome a reporter sees and rates; 不满意 reopens the task."""

from dataclasses import dataclass

from sqlalchemy import select

from intake.core.text import blank_to_none
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.outbox import ReminderKind, TaskReminder
from intake.rectification.models.ratings import ReporterRating, Satisfaction
from intake.rectification.models.tasks import RectificationTask, TaskEventKind, TaskStatus
from intake.rectification.services import RectificationError, _event
from intake.rectification.services.routing import tasks_of_item
from intake.rectification.services.verification import reopen_task
from intake.timeutil import local_today


@dataclass
class Outcome:
    """What the public status page shows about an item's task."""

    task: RectificationTask
    rating: ReporterRating | None

    @property
    def reopened(self) -> bool:
        """A reporter was not satisfied and staff have not decided yet."""
        return self.task.status is TaskStatus.reopened

    @property
    def can_rate(self) -> bool:
        return (
            self.task.closure_round > 0
            and self.rating is None
            and self.task.status in (TaskStatus.closed, TaskStatus.reopened)
        )


def outcome_for_item(item: FeedbackItem) -> Outcome | None:
    # A report merged into another (重复) has the outcome of its primary's task.
    tasks = [t for t in tasks_of_item(item.duplicate_of_id or item.id) if t.closure_round > 0]
    if not tasks:
        return None
    task = tasks[-1]
    if task.status not in (TaskStatus.closed, TaskStatus.reopened):
        # Returned for rework after a closure: nothing is rectified until it is closed again.
        return None
    rating = db.session.scalar(
        select(ReporterRating).where(
            ReporterRating.task_id == task.id,
            ReporterRating.item_id == item.id,
            ReporterRating.closure_round == task.closure_round,
        )
    )
    return Outcome(task=task, rating=rating)


def rate_outcome(item: FeedbackItem, grade: Satisfaction, comment: str | None = None) -> ReporterRating:
    """The reporter rates the closed task of their item, once per closure round. 不满意 reopens
    the task for staff to decide."""
    outcome = outcome_for_item(item)
    if outcome is None or not outcome.can_rate:
        raise RectificationError("nothing to rate")
    task = outcome.task
    rating = ReporterRating(
        task=task, item_id=item.id, closure_round=task.closure_round, grade=grade, comment=blank_to_none(comment)
    )
    db.session.add(rating)
    _event(task, TaskEventKind.rating, None, to_value=grade.value)
    if grade is Satisfaction.dissatisfied:
        if task.status is TaskStatus.closed:
            reopen_task(task)
        _alert_staff_of_dissatisfaction(task)
    db.session.flush()
    return rating


def _alert_staff_of_dissatisfaction(task: RectificationTask) -> None:
    """An outbox row for the mail to staff (sent by the reminder job after the commit); one a
    task and day, however many reporters say 不满意 that day."""
    today = local_today()
    exists = db.session.scalar(
        select(TaskReminder.id).where(
            TaskReminder.task_id == task.id,
            TaskReminder.kind == ReminderKind.dissatisfied,
            TaskReminder.due_date == today,
        )
    )
    if exists is None:
        db.session.add(TaskReminder(task_id=task.id, kind=ReminderKind.dissatisfied, due_date=today))
