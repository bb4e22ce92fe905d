"""Mail of the ledger and the jobs that send it: the outcome to each reporter when a task is
closed, reminders to the unit before a deadline, escalation to staff when it passes.

Outbox rows first (ClosureNotice, TaskReminder, unique keys), committed, then enqueued by
`jobs.py`: a Redis outage delays mail and never loses it, and a re-run job sends nothing."""

import logging
from datetime import date, timedelta
from email.message import EmailMessage

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from intake.auth.models import Role, User
from intake.extensions import db
from intake.mailbox import outgoing
from intake.mailbox.threads import is_bouncing
from intake.rectification import services
from intake.rectification.models.outbox import ClosureNotice, ReminderKind, TaskReminder
from intake.rectification.models.tasks import RectificationTask, TaskEventKind, TaskStatus
from intake.rectification.workdays import current_calendar
from intake.timeutil import utcnow

log = logging.getLogger(__name__)

# An enqueued row still unsent after this long lost its job (Redis flushed, worker died).
REQUEUE_AFTER = timedelta(minutes=30)
UNIT_WORKING = (TaskStatus.dispatched, TaskStatus.signed, TaskStatus.in_progress, TaskStatus.returned)


def pending_closure_notice_ids(task_id: int | None = None) -> list[int]:
    query = select(ClosureNotice.id).where(
        ClosureNotice.outcome.is_(None),
        or_(ClosureNotice.enqueued_at.is_(None), ClosureNotice.enqueued_at < utcnow() - REQUEUE_AFTER),
    )
    if task_id is not None:
        query = query.where(ClosureNotice.task_id == task_id, ClosureNotice.enqueued_at.is_(None))
    return list(db.session.scalars(query.order_by(ClosureNotice.id).limit(500)))


def outcome_message(notice: ClosureNotice) -> EmailMessage:
    item, task = notice.item, notice.task
    return outgoing.compose(
        outgoing.CLOSURE_OUTCOME, item=item, task=task, completion=services.mask_for_task(task.completion_report, task)
    )


def _claim(model, row_id: int, column: str) -> bool:
    """Mark a row as being sent, committed before sending: a second run finds it taken."""
    result = db.session.execute(
        update(model).where(model.id == row_id, getattr(model, column).is_(None)).values({column: utcnow()})
    )
    db.session.commit()
    return result.rowcount == 1


def notify_closure(notice_id: int) -> str:
    """Tell one reporter the outcome, once. Errors propagate (after releasing the claim) so rq
    retries; the claim makes a rerun after success a no-op."""
    notice = db.session.get(ClosureNotice, notice_id)
    if notice is None:
        return "missing"
    if notice.outcome is not None:
        return "already done"
    item = notice.item
    reporter = item.reporter
    reason = None
    if reporter is None or not reporter.email or reporter.wants_anonymity:
        reason = "no address"  # the status page shows the outcome to the code and secret
    elif item.is_auto:
        reason = "auto mail"
    elif is_bouncing(reporter.email):
        reason = "bouncing"  # the status page still shows the outcome
    elif not outgoing.mail_configured():
        reason = "smtp not configured"
    if reason:
        notice.outcome = reason
        db.session.commit()
        return reason
    if not _claim(ClosureNotice, notice_id, "mailed_at"):
        return "already sent"
    message = outcome_message(notice)
    try:
        outgoing.send(message)
    except Exception:
        db.session.execute(update(ClosureNotice).where(ClosureNotice.id == notice_id).values(mailed_at=None))
        db.session.commit()
        raise
    notice = db.session.get(ClosureNotice, notice_id)
    notice.outcome = "sent"
    notice.message_id = message["Message-ID"]
    db.session.commit()
    return "sent"


# --- reminders and escalation ------------------------------------------------------------------


def _due_reminders(task: RectificationTask, today: date, before: int) -> list[tuple[ReminderKind, date]]:
    calendar = current_calendar()
    due = []
    if task.status is TaskStatus.dispatched:
        if today > task.first_answer_due:
            due.append((ReminderKind.first_answer_overdue, task.first_answer_due))
        elif calendar.workdays_between(today, task.first_answer_due, provisional_ok=True) <= 1:
            due.append((ReminderKind.first_answer_due, task.first_answer_due))
    if task.status in UNIT_WORKING:
        if today > task.deadline:
            due.append((ReminderKind.overdue, task.deadline))
        elif calendar.workdays_between(today, task.deadline, provisional_ok=True) <= before:
            due.append((ReminderKind.deadline_soon, task.deadline))
    return due


def create_due_reminders(today: date) -> list[int]:
    """Insert the reminder rows that are due; an existing (task, kind, deadline) is skipped, so
    running this twice creates nothing the second time. Commits."""
    before = current_app.config["REMINDER_WORKDAYS_BEFORE"]
    created = []
    tasks = db.session.scalars(select(RectificationTask).where(RectificationTask.status.in_(UNIT_WORKING)))
    for task in list(tasks):
        for kind, due_date in _due_reminders(task, today, before):
            exists = db.session.scalar(
                select(TaskReminder.id).where(
                    TaskReminder.task_id == task.id, TaskReminder.kind == kind, TaskReminder.due_date == due_date
                )
            )
            if exists:
                continue
            reminder = TaskReminder(task_id=task.id, kind=kind, due_date=due_date)
            try:
                with db.session.begin_nested():
                    db.session.add(reminder)
                    event_kind = (
                        TaskEventKind.escalation
                        if kind in (ReminderKind.overdue, ReminderKind.first_answer_overdue)
                        else TaskEventKind.reminder
                    )
                    task.events.append(services.TaskEvent(kind=event_kind, to_value=kind.value))
                    db.session.flush()
            except IntegrityError:
                continue  # another tick took it
            created.append(reminder.id)
    db.session.commit()
    return created


def unsent_reminder_ids(task_id: int | None = None) -> list[int]:
    query = select(TaskReminder.id).where(
        TaskReminder.sent_at.is_(None),
        or_(TaskReminder.enqueued_at.is_(None), TaskReminder.enqueued_at < utcnow() - REQUEUE_AFTER),
    )
    if task_id is not None:
        query = query.where(TaskReminder.task_id == task_id, TaskReminder.enqueued_at.is_(None))
    return list(db.session.scalars(query.order_by(TaskReminder.id).limit(500)))


def reminder_recipients(reminder: TaskReminder) -> list[User]:
    task = reminder.task
    if reminder.kind is ReminderKind.dissatisfied:
        # A reporter's 不满意 is for the committee's staff to decide, not the unit's business yet.
        return list(
            db.session.scalars(
                select(User).where(User.role == Role.staff, User.is_active_account.is_(True), User.email.is_not(None))
            )
        )
    to_unit = db.session.scalars(
        select(User).where(
            User.role == Role.liaison,
            User.unit_id == task.unit_id,
            User.is_active_account.is_(True),
            User.email.is_not(None),
        )
    )
    recipients = list(to_unit)
    if reminder.kind in (ReminderKind.overdue, ReminderKind.first_answer_overdue):
        recipients += list(
            db.session.scalars(
                select(User).where(
                    User.role.in_([Role.staff, Role.admin]), User.is_active_account.is_(True), User.email.is_not(None)
                )
            )
        )
    return recipients


REMINDER_SUBJECTS = {
    ReminderKind.first_answer_due: _l("Please sign for this rectification task"),
    ReminderKind.first_answer_overdue: _l("Not signed for in time"),
    ReminderKind.deadline_soon: _l("The rectification deadline is near"),
    ReminderKind.overdue: _l("The rectification deadline has passed"),
    ReminderKind.dissatisfied: _l("A reporter is not satisfied: please decide"),
}


def reminder_message(reminder: TaskReminder, user: User) -> EmailMessage:
    task = reminder.task
    endpoint = "unit.task_detail" if user.role is Role.liaison else "rectification.task_detail"
    # Reminders are mail a unit reads: only the committee's problem statement, masked.
    return outgoing.compose(
        outgoing.TASK_REMINDER,
        to=(user.display_name, user.email),
        code=task.code,
        subject=REMINDER_SUBJECTS[reminder.kind],
        task=task,
        reminder=reminder,
        problem=services.mask_for_task(task.problem, task),
        link=outgoing.external_url(endpoint, task_id=task.id),
    )


def send_reminder(reminder_id: int) -> str:
    """Mail one reminder to its recipients, at most once."""
    reminder = db.session.get(TaskReminder, reminder_id)
    if reminder is None:
        return "missing"
    if reminder.sent_at is not None:
        return "already sent"
    recipients = reminder_recipients(reminder)
    if not recipients or not outgoing.mail_configured():
        reminder.sent_at = utcnow()
        reminder.recipients = 0
        db.session.commit()
        return "nobody to mail" if not recipients else "smtp not configured"
    if not _claim(TaskReminder, reminder_id, "sent_at"):
        return "already sent"
    reminder = db.session.get(TaskReminder, reminder_id)
    try:
        for user in recipients:
            outgoing.send(reminder_message(reminder, user))
    except Exception:
        db.session.execute(update(TaskReminder).where(TaskReminder.id == reminder_id).values(sent_at=None))
        db.session.commit()
        raise
    reminder.recipients = len(recipients)
    db.session.commit()
    return "sent"
