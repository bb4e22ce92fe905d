"""The unit's steps on a task: sign for it, report progress and evidence, ask for more time
(staff decide, or set the deadline by hand), report it done."""

from datetime import date

from intake.core.text import blank_to_none
from intake.extensions import db
from intake.feedback.models import ItemStatus
from intake.feedback.services import UploadInput
from intake.rectification.models.tasks import (
    EvidenceFile,
    EvidenceKind,
    ExtensionDecision,
    ExtensionRequest,
    RectificationTask,
    TaskEvent,
    TaskEventKind,
    TaskStatus,
)
from intake.rectification.models.visits import VerificationVisit
from intake.rectification.services import RectificationError, TaskTransitionError, _event, _transition
from intake.rectification.services.linked_items import _move_item
from intake.rectification.workdays import current_calendar
from intake.storage import store_stream
from intake.timeutil import utcnow


def _store_files(
    task: RectificationTask,
    uploads: list[UploadInput],
    actor_id: int | None,
    kind: EvidenceKind,
    visit: VerificationVisit | None = None,
) -> list[EvidenceFile]:
    files = []
    for upload in uploads:
        stored = store_stream(upload.stream)
        evidence = EvidenceFile(
            kind=kind,
            uploaded_by_id=actor_id,
            stored_name=stored.stored_name,
            original_name=upload.filename,
            content_type=upload.content_type,
            size=stored.size,
            sha256=stored.sha256,
        )
        task.files.append(evidence)
        if visit is not None:
            visit.photos.append(evidence)
        files.append(evidence)
    return files


def sign_task(
    task: RectificationTask, actor_id: int, *, measures: str, responsible_person: str, note: str | None = None
) -> TaskEvent:
    """已派发 → 已签收: the unit takes the task and names its measures and the person in charge
    (the first answer, 首次答复). Linked items move to 整改中."""
    measures, responsible_person = blank_to_none(measures), blank_to_none(responsible_person)
    if not measures or not responsible_person:
        raise RectificationError("measures and responsible person are required")
    event = _transition(task, TaskStatus.signed, actor_id, note)
    task.measures = measures
    task.responsible_person = responsible_person
    task.signed_at = utcnow()
    for item in task.items:
        if item.status in (ItemStatus.routed, ItemStatus.accepted):
            _move_item(item, ItemStatus.rectifying, actor_id, note=task.code)
    db.session.flush()
    return event


def post_progress(task: RectificationTask, actor_id: int, note: str, uploads: list[UploadInput] = ()) -> TaskEvent:
    """A progress update (整改进展), with evidence files; the first one starts 整改中."""
    note = blank_to_none(note)
    if not note:
        raise RectificationError("progress text is required")
    if task.status in (TaskStatus.signed, TaskStatus.returned):
        start_rectifying(task, actor_id)
    elif task.status is not TaskStatus.in_progress:
        raise TaskTransitionError(f"progress in {task.status.value}")
    event = _event(task, TaskEventKind.progress, actor_id, note=note)
    add_evidence(task, actor_id, list(uploads))
    db.session.flush()
    return event


def start_rectifying(task: RectificationTask, actor_id: int, note: str | None = None) -> TaskEvent:
    """已签收 / 退回重办 → 整改中."""
    event = _transition(task, TaskStatus.in_progress, actor_id, note)
    for item in task.items:
        if item.status is not ItemStatus.rectifying:
            _move_item(item, ItemStatus.rectifying, actor_id, note=task.code)
    return event


def add_evidence(task: RectificationTask, actor_id: int, uploads: list[UploadInput]) -> list[EvidenceFile]:
    if not uploads:
        return []
    if task.status is TaskStatus.closed:
        raise TaskTransitionError("evidence on a closed task")
    files = _store_files(task, uploads, actor_id, EvidenceKind.evidence)
    _event(task, TaskEventKind.evidence, actor_id, to_value=str(len(files)))
    db.session.flush()
    return files


def request_extension(
    task: RectificationTask, actor_id: int, requested_deadline: date, reason: str
) -> ExtensionRequest:
    """The unit asks for more time (申请延期); one open request at a time."""
    reason = blank_to_none(reason)
    if not reason:
        raise RectificationError("a reason is required")
    if task.status is TaskStatus.closed or task.pending_extension is not None:
        raise RectificationError("no extension possible now")
    if requested_deadline <= task.deadline:
        raise RectificationError("the new deadline must be later")
    request = ExtensionRequest(requested_by_id=actor_id, requested_deadline=requested_deadline, reason=reason)
    task.extension_requests.append(request)
    _event(task, TaskEventKind.extension_requested, actor_id, note=reason, to_value=requested_deadline.isoformat())
    db.session.flush()
    return request


def decide_extension(request: ExtensionRequest, actor_id: int, approve: bool, note: str | None = None) -> TaskEvent:
    """Staff decide an extension request; approval moves the deadline."""
    if request.decision is not ExtensionDecision.pending:
        raise RectificationError("already decided")
    task = request.task
    request.decision = ExtensionDecision.approved if approve else ExtensionDecision.rejected
    request.decided_by_id = actor_id
    request.decided_at = utcnow()
    request.decision_note = blank_to_none(note)
    event = _event(task, TaskEventKind.extension_decided, actor_id, note=note, to_value=request.decision.value)
    if approve:
        change_deadline(task, actor_id, request.requested_deadline, note=note)
    db.session.flush()
    return event


def change_deadline(
    task: RectificationTask,
    actor_id: int,
    deadline: date,
    first_answer_due: date | None = None,
    note: str | None = None,
) -> TaskEvent:
    """Staff set the deadline (and the first-answer date) of one task by hand."""
    first_answer_due = first_answer_due or task.first_answer_due
    if first_answer_due > deadline:
        raise RectificationError("first answer after the deadline")
    old = task.deadline
    task.deadline = deadline
    task.first_answer_due = first_answer_due
    task.deadline_workdays = max(
        1, current_calendar().workdays_between(task.created_at.date(), deadline, provisional_ok=True)
    )
    # A date staff set is no longer a count: nothing to recompute.
    task.deadline_provisional = False
    task.provisional_years = None
    event = _event(
        task,
        TaskEventKind.deadline_changed,
        actor_id,
        note=note,
        from_value=old.isoformat(),
        to_value=deadline.isoformat(),
    )
    db.session.flush()
    return event


def report_completion(
    task: RectificationTask, actor_id: int, completion_report: str, uploads: list[UploadInput] = ()
) -> TaskEvent:
    """已签收 / 整改中 / 退回重办 → 已报告完成, with what was done (完成情况)."""
    completion_report = blank_to_none(completion_report)
    if not completion_report:
        raise RectificationError("the completion report is required")
    event = _transition(task, TaskStatus.reported_done, actor_id, completion_report)
    task.completion_report = completion_report
    task.reported_done_at = utcnow()
    add_evidence(task, actor_id, list(uploads))
    db.session.flush()
    return event
