"""Is the service well? Liveness is only "this process answers" (/healthz); readiness
(/readyz, the admin's system page) looks at what the service depends on and what it is behind
on. A check *fails* when the service is not doing its work (no database, no Redis, a mailbox
not read); it *warns* when there is something for people to look at that does not stop the
work (quarantined mail, failed jobs, overdue reminders). Only failures make /readyz 503."""

from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, text

from intake.core.jobs import worker_queues
from intake.extensions import db
from intake.mailbox.models import InboundMessage, InboundState, Mailbox
from intake.rectification.models.outbox import TaskReminder
from intake.redis_client import redis_connection
from intake.timeutil import utcnow

OK, WARN, FAIL = "ok", "warn", "fail"
# A reminder still unsent this long after it was created is late: its mail is not going out
# (worker, Redis or SMTP), whatever the retries still to come.
REMINDER_LATE = timedelta(hours=1)


@dataclass
class Check:
    name: str
    status: str
    detail: dict = field(default_factory=dict)


@dataclass
class Readiness:
    checks: list[Check]

    @property
    def status(self) -> str:
        statuses = {c.status for c in self.checks}
        return FAIL if FAIL in statuses else WARN if WARN in statuses else OK

    @property
    def ready(self) -> bool:
        return self.status != FAIL

    def as_dict(self) -> dict:
        return {"status": self.status, "checks": {c.name: {"status": c.status, **c.detail} for c in self.checks}}


def _problem(exc: Exception) -> str:
    # The kind of failure only: a driver's message may name hosts and users.
    return type(exc).__name__


def check_database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means no database
        db.session.rollback()
        return Check("database", FAIL, {"error": _problem(exc)})
    return Check("database", OK)


def check_redis() -> Check:
    try:
        redis_connection().ping()
    except RedisError as exc:
        return Check("redis", FAIL, {"error": _problem(exc)})
    return Check("redis", OK)


def check_mailboxes(now=None) -> Check:
    """The age of each active mailbox's last successful poll (the watcher's heartbeat)."""
    now = now or utcnow()
    max_age = current_app.config["READY_POLL_MAX_AGE_SECONDS"]
    mailboxes = db.session.scalars(select(Mailbox).where(Mailbox.is_active.is_(True)).order_by(Mailbox.id)).all()
    if not mailboxes and current_app.config.get("IMAP_HOST"):
        return Check("mailboxes", FAIL, {"error": "IMAP_HOST is set but no watcher has registered its mailbox"})
    status, found = OK, {}
    for mailbox in mailboxes:
        since = mailbox.last_poll_at or mailbox.created_at
        age = max(0, int((now - since).total_seconds()))
        stale = age > max_age
        found[mailbox.name] = {
            "last_poll_at": mailbox.last_poll_at.isoformat() + "Z" if mailbox.last_poll_at else None,
            "age_seconds": age,
            "status": FAIL if stale else OK,
            "last_error_at": mailbox.last_error_at.isoformat() + "Z" if mailbox.last_error_at else None,
        }
        if stale:
            status = FAIL
    return Check("mailboxes", status, {"max_age_seconds": max_age, "mailboxes": found})


def quarantined_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(InboundMessage).where(InboundMessage.state == InboundState.quarantined)
    )


def check_quarantine() -> Check:
    count = quarantined_count()
    return Check("quarantine", WARN if count else OK, {"count": count})


def failed_job_counts() -> dict[str, int] | None:
    try:
        return {q.name: FailedJobRegistry(queue=q).count for q in worker_queues()}
    except RedisError:
        return None


def check_failed_jobs() -> Check:
    counts = failed_job_counts()
    if counts is None:
        return Check("failed_jobs", FAIL, {"error": "Redis does not answer"})
    return Check("failed_jobs", WARN if any(counts.values()) else OK, {"count": sum(counts.values()), "queues": counts})


def overdue_reminder_count(now=None) -> int:
    late = (now or utcnow()) - REMINDER_LATE
    return db.session.scalar(
        select(func.count())
        .select_from(TaskReminder)
        .where(TaskReminder.sent_at.is_(None), TaskReminder.created_at < late)
    )


def check_reminders() -> Check:
    count = overdue_reminder_count()
    return Check("overdue_reminders", WARN if count else OK, {"count": count})


def readiness() -> Readiness:
    database = check_database()
    checks = [database, check_redis()]
    if database.status == OK:
        checks += [check_mailboxes(), check_quarantine(), check_reminders()]
    checks.append(check_failed_jobs())
    return Readiness(checks)
