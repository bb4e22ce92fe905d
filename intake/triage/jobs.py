"""Jobs of triage: a staff reply sent to the reporter after its commit, and the handing over
of queued replies to the workers.

Each job takes ids, loads what it needs, calls services, and lets errors propagate so rq's
retries and failed-job registry see them. The worker provides the app context."""

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from intake.core.jobs import MAIL_RETRY, enqueue_each, job, jobs_in_redis
from intake.extensions import db
from intake.mailbox import outgoing
from intake.mailbox import threads as mail_threads
from intake.redis_client import redis_connection
from intake.timeutil import utcnow
from intake.triage.models import ReplyState, StaffReply
from intake.triage.services import privacy, reporter_replies

log = logging.getLogger(__name__)


def reply_job_id(reply_id: int) -> str:
    return f"staff-reply-{reply_id}"


@job(retry=MAIL_RETRY)
def send_staff_reply(reply_id: int) -> str:
    """Send one reply to the reporter and keep it in the item's thread. Sent once: a retry after
    a send that was recorded does nothing."""
    reply = db.session.get(StaffReply, reply_id)
    if reply is None:
        return "missing"
    if reply.state is ReplyState.sent:
        return "already sent"
    if not outgoing.mail_configured():
        # Development without SMTP: the reply stays queued (staff see a banner saying no mail
        # goes out) and the sweep sends it once SMTP_HOST is set.
        return "kept queued: SMTP_HOST is not set"
    item = reply.item
    name = item.reporter.name if item.reporter is not None else None
    message = outgoing.compose(
        outgoing.STAFF_REPLY,
        item=item,
        to=(name, reply.to_addr),
        subject=reply.subject,
        message_id=reply.message_id,
        body=reply.body,
    )
    outgoing.send(message)
    entry = mail_threads.record_outbound(item, message)
    entry.is_auto = False  # a person wrote it
    reporter_replies.mark_reply_sent(reply)
    db.session.commit()
    return "sent"


def dispatch_replies(reply_ids: list[int]) -> bool:
    """Enqueue the sending job of committed staff replies, once each (unique job ids: a job
    still queued, running, finished or failed is not queued again). Returns False when Redis is
    unreachable; the replies stay queued for the sweeper."""
    return enqueue_each(send_staff_reply, reply_ids, reply_job_id, what="staff reply(ies)")


def sweep_replies() -> int:
    """Enqueue staff replies still queued whose job Redis does not hold: never enqueued (Redis
    was down when staff pressed send) or lost with Redis's memory. A reply whose job failed
    keeps its job in rq's failed registry: staff resend it (resend_reply)."""
    if not outgoing.mail_configured():
        return 0
    ids = reporter_replies.queued_reply_ids()
    if not ids:
        return 0
    known = jobs_in_redis([reply_job_id(i) for i in ids])
    if known is None:
        return 0
    todo = [i for i in ids if reply_job_id(i) not in known]
    if todo and not dispatch_replies(todo):
        return 0
    return len(todo)


def failed_reply_ids(reply_ids: list[int]) -> set[int]:
    """Of these replies, those whose job failed for good (rq's failed registry); empty when
    Redis is unreachable."""
    if not reply_ids:
        return set()
    try:
        jobs = Job.fetch_many([reply_job_id(i) for i in reply_ids], connection=redis_connection())
    except RedisError:
        return set()
    return {i for i, found in zip(reply_ids, jobs) if found is not None and found.get_status(refresh=False) == "failed"}


def resend_reply(reply_id: int) -> bool:
    """Enqueue a failed reply again: its failed job is removed first, so the unique id is free."""
    try:
        found = Job.fetch(reply_job_id(reply_id), connection=redis_connection())
        if found.get_status(refresh=False) == "failed":
            found.delete()
    except NoSuchJobError:
        pass
    except RedisError as exc:
        log.warning("Redis unavailable, staff reply %s left for the sweeper: %s", reply_id, exc)
        return False
    return dispatch_replies([reply_id])


def erase_contacts_past_retention() -> int:
    """The retention job (个人信息保护法): contact details of reports final for longer than
    CONTACT_RETENTION_DAYS are erased, a batch at a time until none is left. Logs counts only."""
    days, total = current_app.config["CONTACT_RETENTION_DAYS"], 0
    while erased := privacy.erase_past_retention(utcnow(), days):
        db.session.commit()
        total += erased
    if total:
        log.info("retention: contact details of %d report(s) erased", total)
    return total
