"""Deadlines in working days on the official calendar, provisional across a year nobody has the
holiday schedule for, and counted again once someone does."""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from intake.extensions import db
from intake.rectification.models.tasks import RectificationTask, TaskEvent, TaskEventKind
from intake.rectification.services import RectificationError, _event
from intake.rectification.workdays import current_calendar
from intake.timeutil import county_zone, local_today


@dataclass
class Deadlines:
    deadline: date
    first_answer_due: date
    deadline_workdays: int
    first_answer_workdays: int
    # Years counted with weekends and statutory holidays only: nobody had their schedule yet.
    provisional_years: tuple[int, ...] = ()
    counted_from: date | None = None

    def apply_to(self, task: RectificationTask) -> None:
        task.deadline_counted_from = self.counted_from
        task.deadline = self.deadline
        task.first_answer_due = self.first_answer_due
        task.deadline_workdays = self.deadline_workdays
        task.first_answer_workdays = self.first_answer_workdays
        task.deadline_provisional = bool(self.provisional_years)
        task.provisional_years = ",".join(str(y) for y in self.provisional_years) or None


def compute_deadlines(
    start: date, deadline_workdays: int | None = None, first_answer_workdays: int | None = None
) -> Deadlines:
    """Time limits counted in working days after `start` on the official calendar. Across a
    year nobody has the schedule for, the count is provisional and says which years."""
    config = current_app.config
    deadline_workdays = deadline_workdays or config["RECTIFICATION_WORKDAYS"]
    first_answer_workdays = first_answer_workdays or config["FIRST_ANSWER_WORKDAYS"]
    if first_answer_workdays > deadline_workdays:
        raise RectificationError("first answer after the deadline")
    calendar = current_calendar()
    deadline = calendar.add_workdays(start, deadline_workdays, provisional_ok=True)
    return Deadlines(
        deadline=deadline,
        first_answer_due=calendar.add_workdays(start, first_answer_workdays, provisional_ok=True),
        deadline_workdays=deadline_workdays,
        first_answer_workdays=first_answer_workdays,
        provisional_years=tuple(calendar.missing_years(start, deadline)),
        counted_from=start,
    )


def counted_from(task: RectificationTask) -> date:
    """The day the task's working days are counted after: stored, or the local day it was routed."""
    if task.deadline_counted_from is not None:
        return task.deadline_counted_from
    tz = county_zone()
    return task.created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(tz).date()


def recompute_deadline(task: RectificationTask, actor_id: int | None = None) -> TaskEvent | None:
    """A provisional deadline counted again on today's calendar. Writes an event when the
    dates or the provisional mark change; None when nothing did."""
    if not task.deadline_provisional:
        return None
    old = (task.deadline, task.first_answer_due, task.provisional_years)
    deadlines = compute_deadlines(counted_from(task), task.deadline_workdays, task.first_answer_workdays)
    deadlines.apply_to(task)
    if (task.deadline, task.first_answer_due, task.provisional_years) == old:
        return None
    note = None if not task.deadline_provisional else "provisional: " + task.provisional_years
    event = _event(
        task,
        TaskEventKind.deadline_recomputed,
        actor_id,
        note=note,
        from_value=old[0].isoformat(),
        to_value=task.deadline.isoformat(),
    )
    db.session.flush()
    return event


def recompute_provisional_deadlines(actor_id: int | None = None) -> list[RectificationTask]:
    """Every provisional deadline counted again (after a schedule is entered, a calendar file
    added or the package upgraded). Returns the tasks that changed."""
    tasks = db.session.scalars(
        select(RectificationTask).where(RectificationTask.deadline_provisional.is_(True)).order_by(RectificationTask.id)
    )
    return [task for task in list(tasks) if recompute_deadline(task, actor_id) is not None]


def save_holiday_schedule(
    year: int, holidays_text: str, workdays_text: str, actor_id: int, notice: str | None = None
) -> list[RectificationTask]:
    """An admin enters a year's schedule; provisional deadlines are counted again at once.
    Returns the tasks whose deadline changed."""
    from intake.rectification import calendar

    calendar.save_holiday_schedule(year, holidays_text, workdays_text, actor_id, notice)
    return recompute_provisional_deadlines(actor_id)


def years_in_use(today: date) -> list[int]:
    """Years the calendar must know: this one, the one a deadline routed today may reach, and
    those of provisional deadlines."""
    horizon = today + timedelta(days=2 * 7 * max(current_app.config["RECTIFICATION_WORKDAYS"], 15) // 5)
    years = set(range(today.year, horizon.year + 1))
    for value in db.session.scalars(
        select(RectificationTask.provisional_years).where(RectificationTask.deadline_provisional.is_(True)).distinct()
    ):
        years.update(int(y) for y in (value or "").split(",") if y)
    return sorted(years)


def missing_calendar_years(today: date | None = None) -> list[int]:
    calendar = current_calendar()
    return [y for y in years_in_use(today or local_today()) if not calendar.covers(y)]
