"""Handing work to the rq workers. The database is the source of truth: a job is enqueued only
after its rows are committed, and what could not be enqueued is enqueued by the sweeper later."""
import logging
import uuid

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.redis_client import redis_connection

log = logging.getLogger(__name__)

ITEM_RECEIVED_JOB = "workers.jobs.item_received"
# Retries with growing waits: an SMTP outage of an hour still ends in a sent receipt.
ITEM_RECEIVED_RETRY = Retry(max=6, interval=[10, 30, 120, 600, 1800, 3600])


def queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def triage_queue() -> Queue:
    """Work that may wait while mail is being ingested (suggestions for a batch of new mail
    items): workers take from it only when the main queue is empty."""
    return Queue(f'{current_app.config["RQ_QUEUE"]}-triage', connection=redis_connection())


def worker_queues() -> list[Queue]:
    """The queues a worker serves, the first first."""
    return [queue(), triage_queue()]


def dispatch_items(item_ids: list[int]) -> bool:
    """Enqueue the follow-up job of committed items, once each.

    The job itself records that it started (dispatched_at), so a request enqueues and commits
    nothing more. Returns False when Redis is unreachable; the rows wait for the sweeper."""
    try:
        q = queue()
        for item_id in item_ids:
            try:
                # unique: a job still queued, running or just finished is not queued again,
                # whether the sweeper or a request gets there first.
                q.enqueue_call(
                    ITEM_RECEIVED_JOB,
                    args=(item_id,),
                    job_id=f"item-received-{item_id}",
                    retry=ITEM_RECEIVED_RETRY,
                    unique=True,
                )
            except DuplicateJobError:
                pass
    except RedisError as exc:
        log.warning("Redis unavailable, %d item(s) left for the sweeper: %s", len(item_ids), exc)
        return False
    return True


ITEMS_RECEIVED_JOB = "workers.jobs.items_received"
ITEMS_JOB_PREFIX = "items-received-"


def dispatch_received(item_ids: list[int]) -> bool:
    """Enqueue the follow-up of a batch of committed items (new mail) as one job of the triage
    queue. False when Redis is unreachable; the items wait for the sweeper, which gives each
    its own follow-up job."""
    if not item_ids:
        return True
    try:
        triage_queue().enqueue_call(
            ITEMS_RECEIVED_JOB, args=(sorted(item_ids),),
            job_id=f"{ITEMS_JOB_PREFIX}{min(item_ids)}-{len(item_ids)}-{uuid.uuid4().hex[:8]}",
            retry=Retry(max=5, interval=[10, 30, 120, 600, 1800]),
        )
    except RedisError as exc:
        log.warning("Redis unavailable, %d item(s) left for the sweeper: %s", len(item_ids), exc)
        return False
    return True


SUGGEST_ITEM_JOB = "workers.jobs.suggest_item"


def enqueue_suggestion_retry(item_id: int) -> None:
    """Queue the suggestion step of one item on its own, with retries (once per item)."""
    try:
        queue().enqueue_call(
            SUGGEST_ITEM_JOB,
            args=(item_id,),
            job_id=f"suggest-item-{item_id}",
            retry=Retry(max=5, interval=[30, 120, 600, 1800, 3600]),
            unique=True,
        )
    except DuplicateJobError:
        pass


def sweep_undispatched() -> int:
    """Enqueue the job of every committed item whose job never started: never enqueued (Redis
    was down) or lost with Redis's memory; and the parse job of stored inbound mail likewise.
    Returns how many were handed over."""
    total = 0
    after_id = 0
    in_batches = None
    while ids := feedback_services.undispatched_item_ids(after_id=after_id):
        waiting = _jobs_in_redis([f"item-received-{i}" for i in ids])
        if in_batches is None:
            in_batches = _waiting_in_redis(triage_queue(), ITEMS_JOB_PREFIX, running=True)
        if waiting is None or in_batches is None:
            break
        todo = [i for i in ids if f"item-received-{i}" not in waiting and i not in in_batches]
        if todo and not dispatch_items(todo):
            break
        total += len(todo)
        after_id = ids[-1]
    return total + sweep_inbound() + sweep_replies()


def _jobs_in_redis(job_ids: list[str]) -> set[str] | None:
    """Of these job ids, those Redis still holds (None when Redis is unreachable)."""
    try:
        conn = redis_connection()
        with conn.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.exists(Job.key_for(job_id))
            found = pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, sweep postponed: %s", exc)
        return None
    return {job_id for job_id, exists in zip(job_ids, found) if exists}


PARSE_INBOUND_JOB = "workers.jobs.parse_inbound_batch"
# Each run counts one try; past MAIL_MAX_ATTEMPTS the job puts the message in quarantine, so
# rq must run it once more than that.
PARSE_INBOUND_INTERVALS = [5, 30, 120, 600, 1800, 3600]
PARSE_JOB_PREFIX = "parse-inbound-"


def _parse_retry() -> Retry:
    tries = current_app.config["MAIL_MAX_ATTEMPTS"]
    intervals = (PARSE_INBOUND_INTERVALS * (tries // len(PARSE_INBOUND_INTERVALS) + 1))[:tries]
    return Retry(max=tries, interval=intervals)


def dispatch_inbound(inbound_ids: list[int]) -> bool:
    """Enqueue the parse jobs of stored inbound mail, one job per IMAP_BATCH_MESSAGES messages,
    and mark the rows enqueued.

    Returns False when Redis is unreachable; the rows wait for the sweeper."""
    from intake.mailbox import services as mailbox_services

    if not inbound_ids:
        return True
    size = max(1, current_app.config["IMAP_BATCH_MESSAGES"])
    batches = [sorted(inbound_ids[i:i + size]) for i in range(0, len(inbound_ids), size)]
    try:
        q = queue()
        retry = _parse_retry()
        with q.connection.pipeline() as pipe:
            for batch in batches:
                q.enqueue_call(
                    PARSE_INBOUND_JOB,
                    args=(batch,),
                    # Readable in rq's registries; unique, so a re-enqueued batch never takes
                    # over the id of a job a dead worker left behind.
                    job_id=f"{PARSE_JOB_PREFIX}{batch[0]}-{len(batch)}-{uuid.uuid4().hex[:8]}",
                    retry=retry,
                    pipeline=pipe,
                )
            pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, %d inbound mail(s) left for the sweeper: %s", len(inbound_ids), exc)
        return False
    mailbox_services.mark_enqueued(inbound_ids)
    db.session.commit()
    return True


REFETCH_OVERSIZE_JOB = "workers.jobs.refetch_oversize"


def dispatch_refetch(inbound_id: int) -> bool:
    """Enqueue the fetch of an over-size message staff asked for (False: Redis unreachable)."""
    try:
        queue().enqueue_call(REFETCH_OVERSIZE_JOB, args=(inbound_id,), retry=Retry(max=3, interval=[10, 60, 300]))
    except RedisError as exc:
        log.warning("Redis unavailable, over-size message %s not fetched: %s", inbound_id, exc)
        return False
    return True


def sweep_inbound(limit: int = 500) -> int:
    """Enqueue stored inbound mail whose parse job is not in Redis: never enqueued (Redis was
    down, the watcher died between commit and enqueue) or enqueued MAIL_REQUEUE_SECONDS ago
    and still not processed (its worker died). The job is idempotent."""
    from intake.mailbox import services as mailbox_services

    cutoff = mailbox_services.requeue_cutoff(current_app.config["MAIL_REQUEUE_SECONDS"])
    total = 0
    after_id = 0
    waiting = None
    while ids := mailbox_services.inbound_to_enqueue(cutoff, limit, after_id=after_id):
        if waiting is None:
            waiting = _waiting_in_redis(queue(), PARSE_JOB_PREFIX)
            if waiting is None:
                break
        todo = [i for i in ids if i not in waiting]
        if todo and not dispatch_inbound(todo):
            break
        total += len(todo)
        after_id = ids[-1]
    return total


def _waiting_in_redis(q: Queue, prefix: str, *, running: bool = False) -> set[int] | None:
    """The ids (first argument) of the batch jobs named `prefix...` that are still queued, or
    scheduled for a retry, or (`running`) running, in Redis (None when Redis is unreachable).
    Such a job will run; enqueueing its rows again only adds work."""
    try:
        candidates = q.get_job_ids() + q.scheduled_job_registry.get_job_ids(cleanup=False)
        if running:
            candidates += q.started_job_registry.get_job_ids(cleanup=False)
        job_ids = [job_id for job_id in candidates if job_id.startswith(prefix)]
        jobs = Job.fetch_many(job_ids, connection=q.connection)
    except RedisError as exc:
        log.warning("Redis unavailable, sweep postponed: %s", exc)
        return None
    waiting: set[int] = set()
    for job in jobs:
        if job is not None and job.args and isinstance(job.args[0], list):
            waiting.update(job.args[0])
    return waiting


SEND_REPLY_JOB = "workers.triage_jobs.send_staff_reply"
SEND_REPLY_RETRY = Retry(max=6, interval=[10, 30, 120, 600, 1800, 3600])


def reply_job_id(reply_id: int) -> str:
    return f"staff-reply-{reply_id}"


def dispatch_replies(reply_ids: list[int]) -> bool:
    """Enqueue the sending job of committed staff replies, once each (unique job ids: a job
    still queued, running, finished or failed is not queued again). Returns False when Redis is
    unreachable; the replies stay queued for the sweeper."""
    try:
        q = queue()
        for reply_id in reply_ids:
            try:
                q.enqueue_call(SEND_REPLY_JOB, args=(reply_id,), job_id=reply_job_id(reply_id),
                               retry=SEND_REPLY_RETRY, unique=True)
            except DuplicateJobError:
                pass
    except RedisError as exc:
        log.warning("Redis unavailable, %d staff reply(ies) left for the sweeper: %s", len(reply_ids), exc)
        return False
    return True


def sweep_replies() -> int:
    """Enqueue staff replies still queued whose job Redis does not hold: never enqueued (Redis
    was down when staff pressed send) or lost with Redis's memory. A reply whose job failed
    keeps its job in rq's failed registry: staff resend it (resend_reply)."""
    from intake.triage import services as triage_services

    ids = triage_services.queued_reply_ids()
    if not ids:
        return 0
    known = _jobs_in_redis([reply_job_id(i) for i in ids])
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
    return {i for i, job in zip(reply_ids, jobs) if job is not None and job.get_status(refresh=False) == "failed"}


def resend_reply(reply_id: int) -> bool:
    """Enqueue a failed reply again: its failed job is removed first, so the unique id is free."""
    try:
        job = Job.fetch(reply_job_id(reply_id), connection=redis_connection())
        if job.get_status(refresh=False) == "failed":
            job.delete()
    except NoSuchJobError:
        pass
    except RedisError as exc:
        log.warning("Redis unavailable, staff reply %s left for the sweeper: %s", reply_id, exc)
        return False
    return dispatch_replies([reply_id])
