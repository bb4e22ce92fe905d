"""Original attachments of linked reports that staff release to the unit, one by one, or hide
again. What the unit receives is a copy without identifying metadata (a photo's GPS position,
a document's author): made at the first release, and what it removed is kept for staff."""

import io

from sqlalchemy import select

from intake.core import metadata
from intake.extensions import db
from intake.feedback.models import Attachment
from intake.rectification.models.tasks import AttachmentRelease, RectificationTask, TaskEventKind
from intake.rectification.services import RectificationError, _event
from intake.storage import path_for, store_stream


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
    if release.metadata_cleanable is None:
        _clean_for_unit(release, attachment)
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


def _clean_for_unit(release: AttachmentRelease, attachment: Attachment) -> None:
    if not metadata.can_clean(attachment.content_type):
        release.metadata_cleanable = False
        return
    result = metadata.clean(path_for(attachment.stored_name).read_bytes(), attachment.content_type)
    release.metadata_cleanable = result.cleanable
    if result.cleanable and result.removed:
        stored = store_stream(io.BytesIO(result.data))
        release.cleaned_stored_name, release.cleaned_size = stored.stored_name, stored.size
        release.metadata_removed = "\n".join(result.removed)


def released_file(task: RectificationTask, attachment_id: int) -> tuple[Attachment, str] | None:
    """A released attachment and the stored file the unit gets (the cleaned copy if any)."""
    for release in task.releases:
        if release.attachment_id == attachment_id and release.released_to_unit:
            return release.attachment, release.cleaned_stored_name or release.attachment.stored_name
    return None


def releases_by_attachment(task: RectificationTask) -> dict[int, AttachmentRelease]:
    return {release.attachment_id: release for release in task.releases}
