"""Write operations of the rectification ledger (整改台账), and the reads that decide who sees
what. One function per state transition, each writing its timeline event.

Services take plain values and ids, flush, and leave the commit to the request or job. This
module holds what every step shares (the errors, the one place a status changes); the steps
are in the modules beside it, one per part of the ledger."""

from intake.core.text import blank_to_none
from intake.rectification.models.tasks import TASK_TRANSITIONS, RectificationTask, TaskEvent, TaskEventKind, TaskStatus
from intake.rectification.services.visibility import mask_for_task  # noqa: F401 - notify.py reads services.mask_for_task
from intake.timeutil import local_today  # noqa: F401 - the ledger's day, read as services.local_today


class RectificationError(ValueError):
    """A step the ledger does not allow; the message is shown to the user."""


class TaskTransitionError(RectificationError):
    pass


def _event(
    task: RectificationTask,
    kind: TaskEventKind,
    actor_id: int | None,
    *,
    note: str | None = None,
    from_value: str | None = None,
    to_value: str | None = None,
) -> TaskEvent:
    event = TaskEvent(kind=kind, actor_id=actor_id, note=blank_to_none(note), from_value=from_value, to_value=to_value)
    task.events.append(event)
    return event


def _transition(
    task: RectificationTask, new_status: TaskStatus, actor_id: int | None, note: str | None = None
) -> TaskEvent:
    """The one place a task's status changes; the public transition functions call it."""
    old = task.status
    if new_status not in TASK_TRANSITIONS[old]:
        raise TaskTransitionError(f"{old.value} -> {new_status.value}")
    task.status = new_status
    return _event(
        task, TaskEventKind.status_changed, actor_id, note=note, from_value=old.value, to_value=new_status.value
    )
