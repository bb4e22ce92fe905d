"""Members verify (追踪监督): visits that close a task or return it for rework, and staff
keeping a task closed after a complaint."""

from datetime import date

from intake.core.text import blank_to_none
from intake.extensions import db
from intake.feedback.models import ItemStatus
from intake.feedback.services import UploadInput
from intake.rectification.models.outbox import ClosureNotice
from intake.rectification.models.tasks import EvidenceKind, RectificationTask, TaskEvent, TaskEventKind, TaskStatus
from intake.rectification.models.visits import VerificationVisit, VisitOutcome
from intake.rectification.services import RectificationError, TaskTransitionError, _event, _transition
from intake.rectification.services.linked_items import _move_item
from intake.rectification.services.unit_steps import _store_files
from intake.rectification.services.visibility import items_told_of
from intake.timeutil import utcnow


def start_verification(task: RectificationTask, actor_id: int) -> TaskEvent:
    """已报告完成 → 委员核实."""
    return _transition(task, TaskStatus.verifying, actor_id)


def record_visit(
    task: RectificationTask,
    actor_id: int,
    *,
    visited_on: date,
    visitors: str,
    findings: str,
    outcome: VisitOutcome,
    reasons: str | None = None,
    photos: list[UploadInput] = (),
) -> VerificationVisit:
    """A verification visit; it accepts the fix (→ 已销号) or returns it (→ 退回重办)."""
    visitors, findings, reasons = blank_to_none(visitors), blank_to_none(findings), blank_to_none(reasons)
    if not visitors or not findings:
        raise RectificationError("who went and what they found are required")
    if outcome is VisitOutcome.returned and not reasons:
        raise RectificationError("reasons are required to return a task")
    if task.status is TaskStatus.reported_done:
        start_verification(task, actor_id)
    if task.status is not TaskStatus.verifying:
        raise TaskTransitionError(f"visit in {task.status.value}")
    visit = VerificationVisit(
        recorded_by_id=actor_id,
        visited_on=visited_on,
        visitors=visitors,
        findings=findings,
        outcome=outcome,
        reasons=reasons,
    )
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
    reasons = blank_to_none(reasons)
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
    note = blank_to_none(note)
    if not note:
        raise RectificationError("a note is required")
    event = _transition(task, TaskStatus.closed, actor_id, note)
    db.session.flush()
    return event
