"""Who sees what: a liaison reads only their unit's tasks, every read audited, reporters masked."""

from sqlalchemy import select

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback.models import FeedbackItem, Reporter
from intake.rectification.masking import mask_text
from intake.rectification.models.read_audit import ReadKind, UnitReadAudit
from intake.rectification.models.tasks import RectificationTask


def task_for_user(task_id: int, user: User) -> RectificationTask | None:
    """The task when `user` may read it: staff and members all, a liaison only their unit's."""
    task = db.session.get(RectificationTask, task_id)
    if task is None:
        return None
    if user.role is Role.liaison and task.unit_id != user.unit_id:
        return None
    return task


def record_unit_read(
    user: User, kind: ReadKind, task_id: int | None = None, object_id: int | None = None, client_ip: str | None = None
) -> None:
    """Audit trail of what a unit reads (every task page, file and export)."""
    db.session.add(
        UnitReadAudit(
            user_id=user.id, unit_id=user.unit_id, task_id=task_id, kind=kind, object_id=object_id, client_ip=client_ip
        )
    )
    db.session.flush()


def merged_into_task(task: RectificationTask) -> list[FeedbackItem]:
    """Reports merged as duplicates (重复) into an item of the task: not linked, but their
    reporters get the outcome and may rate it like the linked ones."""
    linked = [item.id for item in task.items]
    if not linked:
        return []
    return list(
        db.session.scalars(
            select(FeedbackItem)
            .where(FeedbackItem.duplicate_of_id.in_(linked), FeedbackItem.id.not_in(linked))
            .order_by(FeedbackItem.id)
        )
    )


def items_told_of(task: RectificationTask) -> list[FeedbackItem]:
    """Every report whose reporter hears the task's outcome: linked, then merged into them."""
    return [*task.items, *merged_into_task(task)]


def reporters_of(task: RectificationTask) -> list[Reporter]:
    return [item.reporter for item in items_told_of(task) if item.reporter is not None]


def mask_for_task(text: str | None, task: RectificationTask) -> str:
    """Free text as the unit may read it: every linked reporter's identity masked."""
    for reporter in reporters_of(task):
        text = mask_text(text, reporter)
    return mask_text(text)
