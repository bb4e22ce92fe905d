"""Routing (分办): reports handed to a unit in a new task, or joined to its open one."""

from datetime import date

from sqlalchemy import select

from intake.core.text import blank_to_none
from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.feedback.services import next_sequence_value
from intake.rectification.models.tasks import RectificationTask, TaskEventKind, TaskStatus, task_items
from intake.rectification.services import RectificationError, _event
from intake.rectification.services.deadlines import compute_deadlines
from intake.rectification.services.linked_items import _move_item
from intake.timeutil import local_today

TASK_CODE_PREFIX = "ZG"
# Statuses in which the unit is still working: a new report on the same problem joins the task.
OPEN_FOR_ATTACHING = (TaskStatus.dispatched, TaskStatus.signed, TaskStatus.in_progress, TaskStatus.returned)


def open_task_of_item(item_id: int) -> RectificationTask | None:
    return db.session.scalar(
        select(RectificationTask)
        .join(task_items, task_items.c.task_id == RectificationTask.id)
        .where(task_items.c.item_id == item_id, RectificationTask.status != TaskStatus.closed)
        .order_by(RectificationTask.id.desc())
        .limit(1)
    )


def tasks_of_item(item_id: int) -> list[RectificationTask]:
    return list(
        db.session.scalars(
            select(RectificationTask)
            .join(task_items, task_items.c.task_id == RectificationTask.id)
            .where(task_items.c.item_id == item_id)
            .order_by(RectificationTask.id)
        )
    )


def open_tasks_of_unit(unit_id: int) -> list[RectificationTask]:
    return list(
        db.session.scalars(
            select(RectificationTask)
            .where(RectificationTask.unit_id == unit_id, RectificationTask.status.in_(OPEN_FOR_ATTACHING))
            .order_by(RectificationTask.id.desc())
        )
    )


def route_items_to_unit(
    item_ids: list[int],
    unit_id: int,
    problem: str | None,
    requirement: str | None,
    actor_id: int,
    *,
    task_id: int | None = None,
    deadline_workdays: int | None = None,
    first_answer_workdays: int | None = None,
    today: date | None = None,
) -> RectificationTask:
    """Route items to a unit (分办): a new task, or the open task `task_id` of the same unit.
    Each item moves to 已分办 (or 整改中 when the unit already signed) with its own event."""
    items = list(db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids))))
    if not items or len(items) != len(set(item_ids)):
        raise RectificationError("unknown item")
    for item in items:
        if item.status in (ItemStatus.rejected, ItemStatus.duplicate, ItemStatus.invalid, ItemStatus.closed):
            raise RectificationError("item is final")
        current = open_task_of_item(item.id)
        if current is not None and current.id != task_id:
            raise RectificationError("item already in an open task")
    if task_id is not None:
        task = db.session.get(RectificationTask, task_id)
        if task is None or task.unit_id != unit_id or task.status not in OPEN_FOR_ATTACHING:
            raise RectificationError("task not open for this unit")
    else:
        problem, requirement = blank_to_none(problem), blank_to_none(requirement)
        if not problem or not requirement:
            raise RectificationError("problem and requirement are required")
        start = today or local_today()
        deadlines = compute_deadlines(start, deadline_workdays, first_answer_workdays)
        number = next_sequence_value("rectification", start.year)
        task = RectificationTask(
            year=start.year,
            number=number,
            code=f"{TASK_CODE_PREFIX}-{start.year}-{number:04d}",
            unit_id=unit_id,
            problem=problem,
            requirement=requirement,
            status=TaskStatus.dispatched,
            returned_count=0,
            closure_round=0,
            created_by_id=actor_id,
        )
        deadlines.apply_to(task)
        db.session.add(task)
        _event(task, TaskEventKind.created, actor_id, to_value=TaskStatus.dispatched.value)
    item_target = (
        ItemStatus.rectifying if task.status in (TaskStatus.signed, TaskStatus.in_progress) else ItemStatus.routed
    )
    for item in items:
        if item in task.items:
            continue
        task.items.append(item)
        if item.unit_id != unit_id:
            item.unit_id = unit_id
        _move_item(item, item_target, actor_id, note=task.code)
        _event(task, TaskEventKind.item_linked, actor_id, to_value=item.tracking_code)
    db.session.flush()
    return task


def route_selection(
    item_ids: list[int], unit_id: int | None, problem: str | None, requirement: str | None, actor_id: int
) -> tuple[int, list[str]]:
    """A selection of the staff queue routed as one task (the bulk action): the items still
    open go together; final ones are left as they were and named. Returns (routed, skipped
    tracking codes)."""
    if not unit_id:
        raise RectificationError("a unit is needed to route")
    items = list(
        db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).order_by(FeedbackItem.id))
    )
    routable = [i.id for i in items if not i.status.is_final]
    if routable:
        route_items_to_unit(routable, unit_id, problem, requirement, actor_id)
    return len(routable), [i.tracking_code for i in items if i.status.is_final]
