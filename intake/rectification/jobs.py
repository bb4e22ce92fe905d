"""Jobs of the rectification ledger: the outcome mail to a reporter when a task is closed (回访),
a reminder to the unit before a deadline or an escalation after it, and the periodic pass that
creates and enqueues them. The mail itself is built and sent by `notify.py`.

Outbox rows first (ClosureNotice, TaskReminder), committed, then enqueued: a Redis outage
delays mail and never loses it, and a second tick or a re-run job sends nothing."""

import logging
from datetime import date

from redis.exceptions import RedisError
from sqlalchemy import update

from intake.core.jobs import MAIL_RETRY, enqueue, job, queue
from intake.extensions import db
from intake.rectification import notify, services
from intake.rectification.models.outbox import ClosureNotice, TaskReminder
from intake.timeutil import utcnow

log = logging.getLogger(__name__)


@job(retry=MAIL_RETRY)
def notify_closure(notice_id: int) -> str:
    """Tell one reporter the outcome of the task their report was part of (回访)."""
    return notify.notify_closure(notice_id)


@job(retry=MAIL_RETRY)
def send_reminder(reminder_id: int) -> str:
    """A reminder to the unit before a deadline, or an escalation to staff after it."""
    return notify.send_reminder(reminder_id)


def tick(today: date | None = None) -> dict:
    """The periodic pass: create due reminders, enqueue what is unsent (including closure
    notices whose enqueue was lost). Safe to run as often as you like."""
    created = notify.create_due_reminders(today or services.local_today())
    reminders = notify.unsent_reminder_ids()
    notices = notify.pending_closure_notice_ids()
    dispatch_reminders(reminders)
    dispatch_closure_notices(notices)
    return {"created": len(created), "reminders": len(reminders), "notices": len(notices)}


def dispatch_closure_notices(notice_ids: list[int]) -> bool:
    """Enqueue the outcome mail of committed closure notices (call after the commit)."""
    return _dispatch(notify_closure, ClosureNotice, "closure-notice", notice_ids)


def dispatch_reminders(reminder_ids: list[int]) -> bool:
    """Enqueue committed reminders (call after the commit)."""
    return _dispatch(send_reminder, TaskReminder, "task-reminder", reminder_ids)


def _dispatch(func, model, prefix: str, ids: list[int]) -> bool:
    """Enqueue one job per outbox row and stamp the rows enqueued. A row enqueued long ago and
    still unsent is enqueued again under the same job id (its job was lost)."""
    if not ids:
        return True
    try:
        with queue().connection.pipeline() as pipe:
            for row_id in ids:
                enqueue(func, row_id, job_id=f"{prefix}-{row_id}", pipeline=pipe)
            pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, %d %s job(s) left for the next tick: %s", len(ids), prefix, exc)
        return False
    db.session.execute(update(model).where(model.id.in_(ids)).values(enqueued_at=utcnow()))
    db.session.commit()
    return True
