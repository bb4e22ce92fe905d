"""Write operations of the rectification ledger (整改台账), and the reads that decide who sees
what. One function per state transition, each writing its timeline event.

Services take plain values and ids, flush, and leave the commit to the request or job."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import ALLOWED_TRANSITIONS, Attachment, FeedbackItem, ItemStatus, Reporter
from intake.feedback.services import UploadInput, next_sequence_value
from intake.rectification.masking import mask_text
from intake.rectification.models import (
    TASK_TRANSITIONS,
    AttachmentRelease,
    ClosureNotice,
    EvidenceFile,
    EvidenceKind,
    ExtensionDecision,
    ExtensionRequest,
    ReadKind,
    RectificationTask,
    ReminderKind,
    ReporterRating,
    Satisfaction,
    TaskEvent,
    TaskEventKind,
    TaskReminder,
    TaskStatus,
    UnitReadAudit,
    VerificationVisit,
    VisitOutcome,
    task_items,
)
from intake.rectification.workdays import current_calendar
from intake.storage import store_stream
from intake.timeutil import utcnow

TASK_CODE_PREFIX = "ZG"
# Statuses in which the unit is still working: a new report on the same problem joins the task.
OPEN_FOR_ATTACHING = (TaskStatus.dispatched, TaskStatus.signed, TaskStatus.in_progress, TaskStatus.returned)


class RectificationError(ValueError):
    """A step the ledger does not allow; the message is shown to the user."""


class TaskTransitionError(RectificationError):
    pass


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _event(task: RectificationTask, kind: TaskEventKind, actor_id: int | None, *, note: str | None = None,
           from_value: str | None = None, to_value: str | None = None) -> TaskEvent:
    event = TaskEvent(kind=kind, actor_id=actor_id, note=_clean(note), from_value=from_value, to_value=to_value)
    task.events.append(event)
    return event


def _transition(task: RectificationTask, new_status: TaskStatus, actor_id: int | None, note: str | None = None) -> TaskEvent:
    """The one place a task's status changes; the public transition functions call it."""
    old = task.status
    if new_status not in TASK_TRANSITIONS[old]:
        raise TaskTransitionError(f"{old.value} -> {new_status.value}")
    task.status = new_status
    return _event(task, TaskEventKind.status_changed, actor_id, note=note, from_value=old.value, to_value=new_status.value)


# --- items follow their task ---------------------------------------------------------------

_WORKING_ITEM_STATUSES = {ItemStatus.accepted, ItemStatus.routed, ItemStatus.rectifying, ItemStatus.closed}


def _item_path(start: ItemStatus, target: ItemStatus) -> list[ItemStatus]:
    """Shortest way through the item lifecycle, passing only through working statuses."""
    if start is target:
        return []
    frontier = [[start]]
    seen = {start}
    while frontier:
        nxt = []
        for path in frontier:
            for step in sorted(ALLOWED_TRANSITIONS[path[-1]], key=lambda s: s.value):
                if step in seen or (step is not target and step not in _WORKING_ITEM_STATUSES):
                    continue
                if step is target:
                    return path[1:] + [step]
                seen.add(step)
                nxt.append(path + [step])
        frontier = nxt
    raise RectificationError(f"item cannot go from {start.value} to {target.value}")


def _move_item(item: FeedbackItem, target: ItemStatus, actor_id: int | None, note: str | None = None) -> None:
    for step in _item_path(item.status, target):
        feedback_services.change_status(item, step, actor_id=actor_id, note=note)


# --- deadlines ------------------------------------------------------------------------------

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


def compute_deadlines(start: date, deadline_workdays: int | None = None,
                      first_answer_workdays: int | None = None) -> Deadlines:
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
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
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
    event = _event(task, TaskEventKind.deadline_recomputed, actor_id, note=note,
                   from_value=old[0].isoformat(), to_value=task.deadline.isoformat())
    db.session.flush()
    return event


def recompute_provisional_deadlines(actor_id: int | None = None) -> list[RectificationTask]:
    """Every provisional deadline counted again (after a schedule is entered, a calendar file
    added or the package upgraded). Returns the tasks that changed."""
    tasks = db.session.scalars(select(RectificationTask).where(RectificationTask.deadline_provisional.is_(True))
                               .order_by(RectificationTask.id))
    return [task for task in list(tasks) if recompute_deadline(task, actor_id) is not None]


def save_holiday_schedule(year: int, holidays_text: str, workdays_text: str, actor_id: int,
                          notice: str | None = None) -> list[RectificationTask]:
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
    for value in db.session.scalars(select(RectificationTask.provisional_years).where(
            RectificationTask.deadline_provisional.is_(True)).distinct()):
        years.update(int(y) for y in (value or "").split(",") if y)
    return sorted(years)


def missing_calendar_years(today: date | None = None) -> list[int]:
    calendar = current_calendar()
    return [y for y in years_in_use(today or local_today()) if not calendar.covers(y)]


# --- routing (分办) --------------------------------------------------------------------------

def open_task_of_item(item_id: int) -> RectificationTask | None:
    return db.session.scalar(
        select(RectificationTask)
        .join(task_items, task_items.c.task_id == RectificationTask.id)
        .where(task_items.c.item_id == item_id, RectificationTask.status != TaskStatus.closed)
        .order_by(RectificationTask.id.desc())
        .limit(1)
    )


def tasks_of_item(item_id: int) -> list[RectificationTask]:
    return list(db.session.scalars(
        select(RectificationTask)
        .join(task_items, task_items.c.task_id == RectificationTask.id)
        .where(task_items.c.item_id == item_id)
        .order_by(RectificationTask.id)
    ))


def open_tasks_of_unit(unit_id: int) -> list[RectificationTask]:
    return list(db.session.scalars(
        select(RectificationTask)
        .where(RectificationTask.unit_id == unit_id, RectificationTask.status.in_(OPEN_FOR_ATTACHING))
        .order_by(RectificationTask.id.desc())
    ))


def route_items_to_unit(item_ids: list[int], unit_id: int, problem: str | None, requirement: str | None,
                        actor_id: int, *, task_id: int | None = None, deadline_workdays: int | None = None,
                        first_answer_workdays: int | None = None, today: date | None = None) -> RectificationTask:
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
        problem, requirement = _clean(problem), _clean(requirement)
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
    item_target = ItemStatus.rectifying if task.status in (TaskStatus.signed, TaskStatus.in_progress) else ItemStatus.routed
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


# --- the unit's steps ---------------------------------------------------------------------------

def _store_files(task: RectificationTask, uploads: list[UploadInput], actor_id: int | None,
                 kind: EvidenceKind, visit: VerificationVisit | None = None) -> list[EvidenceFile]:
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


def sign_task(task: RectificationTask, actor_id: int, *, measures: str, responsible_person: str,
              note: str | None = None) -> TaskEvent:
    """已派发 → 已签收: the unit takes the task and names its measures and the person in charge
    (the first answer, 首次答复). Linked items move to 整改中."""
    measures, responsible_person = _clean(measures), _clean(responsible_person)
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
    note = _clean(note)
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


def request_extension(task: RectificationTask, actor_id: int, requested_deadline: date, reason: str) -> ExtensionRequest:
    """The unit asks for more time (申请延期); one open request at a time."""
    reason = _clean(reason)
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
    request.decision_note = _clean(note)
    event = _event(task, TaskEventKind.extension_decided, actor_id, note=note, to_value=request.decision.value)
    if approve:
        change_deadline(task, actor_id, request.requested_deadline, note=note)
    db.session.flush()
    return event


def change_deadline(task: RectificationTask, actor_id: int, deadline: date, first_answer_due: date | None = None,
                    note: str | None = None) -> TaskEvent:
    """Staff set the deadline (and the first-answer date) of one task by hand."""
    first_answer_due = first_answer_due or task.first_answer_due
    if first_answer_due > deadline:
        raise RectificationError("first answer after the deadline")
    old = task.deadline
    task.deadline = deadline
    task.first_answer_due = first_answer_due
    task.deadline_workdays = max(1, current_calendar().workdays_between(task.created_at.date(), deadline,
                                                                        provisional_ok=True))
    # A date staff set is no longer a count: nothing to recompute.
    task.deadline_provisional = False
    task.provisional_years = None
    event = _event(task, TaskEventKind.deadline_changed, actor_id, note=note,
                   from_value=old.isoformat(), to_value=deadline.isoformat())
    db.session.flush()
    return event


def report_completion(task: RectificationTask, actor_id: int, completion_report: str,
                      uploads: list[UploadInput] = ()) -> TaskEvent:
    """已签收 / 整改中 / 退回重办 → 已报告完成, with what was done (完成情况)."""
    completion_report = _clean(completion_report)
    if not completion_report:
        raise RectificationError("the completion report is required")
    event = _transition(task, TaskStatus.reported_done, actor_id, completion_report)
    task.completion_report = completion_report
    task.reported_done_at = utcnow()
    add_evidence(task, actor_id, list(uploads))
    db.session.flush()
    return event


# --- members verify (追踪监督) -------------------------------------------------------------------

def start_verification(task: RectificationTask, actor_id: int) -> TaskEvent:
    """已报告完成 → 委员核实."""
    return _transition(task, TaskStatus.verifying, actor_id)


def record_visit(task: RectificationTask, actor_id: int, *, visited_on: date, visitors: str, findings: str,
                 outcome: VisitOutcome, reasons: str | None = None,
                 photos: list[UploadInput] = ()) -> VerificationVisit:
    """A verification visit; it accepts the fix (→ 已销号) or returns it (→ 退回重办)."""
    visitors, findings, reasons = _clean(visitors), _clean(findings), _clean(reasons)
    if not visitors or not findings:
        raise RectificationError("who went and what they found are required")
    if outcome is VisitOutcome.returned and not reasons:
        raise RectificationError("reasons are required to return a task")
    if task.status is TaskStatus.reported_done:
        start_verification(task, actor_id)
    if task.status is not TaskStatus.verifying:
        raise TaskTransitionError(f"visit in {task.status.value}")
    visit = VerificationVisit(recorded_by_id=actor_id, visited_on=visited_on, visitors=visitors,
                              findings=findings, outcome=outcome, reasons=reasons)
    task.visits.append(visit)
    _store_files(task, list(photos), actor_id, EvidenceKind.visit_photo, visit=visit)
    _event(task, TaskEventKind.visit, actor_id, note=findings, to_value=outcome.value)
    if outcome is VisitOutcome.accepted:
        close_task(task, actor_id, note=reasons)
    else:
        return_task(task, actor_id, reasons)
    db.session.flush()
    return visit


def close_task(task: RectificationTask, actor_id: int | None, note: str | None = None) -> TaskEvent:
    """委员核实 → 已销号: every linked item is closed and its reporter will be told the outcome
    (a ClosureNotice row per item; the job that mails it is enqueued after the commit)."""
    event = _transition(task, TaskStatus.closed, actor_id, note)
    task.closed_at = utcnow()
    task.closure_round += 1
    for item in task.items:
        if item.status is not ItemStatus.closed:
            _move_item(item, ItemStatus.closed, actor_id, note=task.code)
    # Reports merged into a linked one (status 重复) keep their status, and are told too.
    for item in items_told_of(task):
        db.session.add(ClosureNotice(task=task, item=item, closure_round=task.closure_round))
    db.session.flush()
    return event


def return_task(task: RectificationTask, actor_id: int | None, reasons: str) -> TaskEvent:
    """→ 退回重办, with reasons: from a member's visit, or staff deciding after 不满意."""
    reasons = _clean(reasons)
    if not reasons:
        raise RectificationError("reasons are required to return a task")
    event = _transition(task, TaskStatus.returned, actor_id, reasons)
    task.returned_count += 1
    task.closed_at = None
    for item in task.items:
        if item.status is ItemStatus.closed:
            _move_item(item, ItemStatus.rectifying, actor_id, note=task.code)
    db.session.flush()
    return event


def reopen_task(task: RectificationTask, note: str | None = None) -> TaskEvent:
    """已销号 → reopened: a reporter is not satisfied; staff decide what happens next."""
    return _transition(task, TaskStatus.reopened, None, note)


def confirm_closure(task: RectificationTask, actor_id: int, note: str) -> TaskEvent:
    """reopened → 已销号: staff looked at the complaint and keep the task closed."""
    note = _clean(note)
    if not note:
        raise RectificationError("a note is required")
    event = _transition(task, TaskStatus.closed, actor_id, note)
    db.session.flush()
    return event


# --- the reporter's verdict (回访) ---------------------------------------------------------------

@dataclass
class Outcome:
    """What the public status page shows about an item's task."""

    task: RectificationTask
    rating: ReporterRating | None

    @property
    def can_rate(self) -> bool:
        return self.task.closure_round > 0 and self.rating is None and self.task.status in (
            TaskStatus.closed, TaskStatus.reopened)


def outcome_for_item(item: FeedbackItem) -> Outcome | None:
    # A report merged into another (重复) has the outcome of its primary's task.
    tasks = [t for t in tasks_of_item(item.duplicate_of_id or item.id) if t.closure_round > 0]
    if not tasks:
        return None
    task = tasks[-1]
    rating = db.session.scalar(select(ReporterRating).where(
        ReporterRating.task_id == task.id, ReporterRating.item_id == item.id,
        ReporterRating.closure_round == task.closure_round))
    return Outcome(task=task, rating=rating)


def rate_outcome(item: FeedbackItem, grade: Satisfaction, comment: str | None = None) -> ReporterRating:
    """The reporter rates the closed task of their item, once per closure round. 不满意 reopens
    the task for staff to decide."""
    outcome = outcome_for_item(item)
    if outcome is None or not outcome.can_rate:
        raise RectificationError("nothing to rate")
    task = outcome.task
    rating = ReporterRating(task=task, item_id=item.id, closure_round=task.closure_round, grade=grade,
                            comment=_clean(comment))
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
    exists = db.session.scalar(select(TaskReminder.id).where(
        TaskReminder.task_id == task.id, TaskReminder.kind == ReminderKind.dissatisfied,
        TaskReminder.due_date == today))
    if exists is None:
        db.session.add(TaskReminder(task_id=task.id, kind=ReminderKind.dissatisfied, due_date=today))


# --- attachments released to the unit ---------------------------------------------------------

def release_attachment(task: RectificationTask, attachment_id: int, actor_id: int) -> AttachmentRelease:
    """Staff show one original attachment of a linked item to the unit."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.item_id not in {i.id for i in task.items}:
        raise RectificationError("not an attachment of this task")
    release = db.session.scalar(select(AttachmentRelease).where(
        AttachmentRelease.task_id == task.id, AttachmentRelease.attachment_id == attachment_id))
    if release is None:
        release = AttachmentRelease(attachment_id=attachment_id, released_by_id=actor_id)
        task.releases.append(release)
    release.released_to_unit = True
    _event(task, TaskEventKind.attachment_released, actor_id, to_value=str(attachment_id))
    db.session.flush()
    return release


def hide_attachment(task: RectificationTask, attachment_id: int, actor_id: int) -> AttachmentRelease:
    """Staff take a released attachment back: the unit can no longer open it."""
    release = db.session.scalar(select(AttachmentRelease).where(
        AttachmentRelease.task_id == task.id, AttachmentRelease.attachment_id == attachment_id,
        AttachmentRelease.released_to_unit.is_(True)))
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


# --- who sees what -----------------------------------------------------------------------------

def task_for_user(task_id: int, user: User) -> RectificationTask | None:
    """The task when `user` may read it: staff and members all, a liaison only their unit's."""
    task = db.session.get(RectificationTask, task_id)
    if task is None:
        return None
    if user.role is Role.liaison and task.unit_id != user.unit_id:
        return None
    return task


def record_unit_read(user: User, kind: ReadKind, task_id: int | None = None, object_id: int | None = None,
                     client_ip: str | None = None) -> None:
    """Audit trail of what a unit reads (every task page, file and export)."""
    db.session.add(UnitReadAudit(user_id=user.id, unit_id=user.unit_id, task_id=task_id, kind=kind,
                                 object_id=object_id, client_ip=client_ip))
    db.session.flush()


def merged_into_task(task: RectificationTask) -> list[FeedbackItem]:
    """Reports merged as duplicates (重复) into an item of the task: not linked, but their
    reporters get the outcome and may rate it like the linked ones."""
    linked = [item.id for item in task.items]
    if not linked:
        return []
    return list(db.session.scalars(
        select(FeedbackItem).where(FeedbackItem.duplicate_of_id.in_(linked), FeedbackItem.id.not_in(linked))
        .order_by(FeedbackItem.id)))


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


# --- the ledger (整改台账) ------------------------------------------------------------------------

@dataclass
class LedgerFilter:
    unit_id: int | None = None
    status: str | None = None  # a TaskStatus value, "open", "overdue" or None for all
    date_from: date | None = None  # dispatched on or after
    date_to: date | None = None  # dispatched on or before


def ledger_tasks(f: LedgerFilter, today: date | None = None) -> list[RectificationTask]:
    query = select(RectificationTask).options(
        selectinload(RectificationTask.unit), selectinload(RectificationTask.items),
        selectinload(RectificationTask.events), selectinload(RectificationTask.visits),
        selectinload(RectificationTask.ratings),
    )
    if f.unit_id:
        query = query.where(RectificationTask.unit_id == f.unit_id)
    if f.status == "open":
        query = query.where(RectificationTask.status != TaskStatus.closed)
    elif f.status == "overdue":
        query = query.where(RectificationTask.status != TaskStatus.closed,
                            RectificationTask.deadline < (today or local_today()))
    elif f.status:
        query = query.where(RectificationTask.status == TaskStatus(f.status))
    if f.date_from:
        query = query.where(RectificationTask.created_at >= datetime.combine(f.date_from, datetime.min.time()))
    if f.date_to:
        query = query.where(RectificationTask.created_at < datetime.combine(f.date_to + timedelta(days=1), datetime.min.time()))
    return list(db.session.scalars(query.order_by(RectificationTask.year, RectificationTask.number)))


def satisfaction_counts(task: RectificationTask) -> dict[Satisfaction, int]:
    counts = {grade: 0 for grade in Satisfaction}
    for rating in task.ratings:
        counts[rating.grade] += 1
    return counts


# --- figures per unit (办结率, 按期办结率, 满意率) --------------------------------------------------

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


def unit_figures(year: int | None = None, unit_ids: list[int] | None = None, today: date | None = None) -> list[UnitFigures]:
    """Figures per unit for a year (of dispatch / receipt), or all time."""
    from intake.reference.models import Unit

    today = today or local_today()
    units_q = select(Unit).order_by(Unit.sort_order, Unit.id)
    if unit_ids is not None:
        units_q = units_q.where(Unit.id.in_(unit_ids))
    figures = {u.id: UnitFigures(unit_id=u.id, unit_name=u.display_name, unit_code=u.code)
               for u in db.session.scalars(units_q)}

    received_q = select(FeedbackItem.unit_id, func.count()).where(
        FeedbackItem.unit_id.is_not(None), FeedbackItem.is_auto.is_(False)).group_by(FeedbackItem.unit_id)
    if year:
        received_q = received_q.where(FeedbackItem.year == year)
    for unit_id, count in db.session.execute(received_q):
        if unit_id in figures:
            figures[unit_id].received = count

    tasks_q = select(RectificationTask).options(selectinload(RectificationTask.ratings),
                                                selectinload(RectificationTask.items))
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
