"""Original attachments of linked reports that staff release to the unit, one by one, or hide again."""

from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Attachment
from intake.rectification.models.tasks import AttachmentRelease, RectificationTask, TaskEventKind
from intake.rectification.services import RectificationError, _event


def release_attachment(task: RectificationTask, attachment_id: int, actor_id: int) -> AttachmentRelease:
    """Staff show one original attachment of a linked item to the unit."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.item_id not in {i.id for i in task.items}:
        raise RectificationError("not an attachment of this task")
    release = db.session.scalar(
        select(AttachmentRelease).where(
            AttachmentRelease.task_id == task.id, AttachmentRelease.attachment_id == attachment_id
        )
    )
    if release is None:
        release = AttachmentRelease(attachment_id=attachment_id, released_by_id=actor_id)
        task.releases.append(release)
    release.released_to_unit = True
    _event(task, TaskEventKind.attachment_released, actor_id, to_value=str(attachment_id))
    db.session.flush()
    return release


def hide_attachment(task: RectificationTask, attachment_id: int, actor_id: int) -> AttachmentRelease:
    """Staff take a released attachment back: the unit can no longer open it."""
    release = db.session.scalar(
        select(AttachmentRelease).where(
            AttachmentRelease.task_id == task.id,
            AttachmentRelease.attachment_id == attachment_id,
            AttachmentRelease.released_to_unit.is_(True),
        )
    )
    if release is None:
        raise RectificationError("not released")
    release.released_to_unit = False
    _event(task, TaskEventKind.attachment_hidden, actor_id, to_value=str(attachment_id))
    db.session.flush()
    return release


def released_attachment(task: RectificationTask, attachment_id: int) -> Attachment | None:
    for release in task.releases:
        if release.attachment_id == attachment_id and release.released_to_unit:
            return release.attachment
    return None
