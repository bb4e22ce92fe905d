"""How work is handed to the rq workers: one way for every domain.

A job is a plain function in its domain's `jobs.py`, marked with `@job(...)` (which queue, which
retries); it is enqueued by reference with `enqueue(func, *args)`, so a reader can jump from the
enqueue to the job and a rename fails loudly. The database is the source of truth: a job is
enqueued only after its rows are committed, and what could not be enqueued is picked up by the
periodic sweep (`intake/periodic.py`)."""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.utils import import_attribute

from intake.redis_client import redis_connection

log = logging.getLogger(__name__)

MAIN = "main"
# Work that may wait while mail is being ingested (suggestions for a batch of new mail items):
# workers take from it only when the main queue is empty.
TRIAGE = "triage"

# Retries with growing waits: an SMTP outage of an hour still ends in a sent mail.
MAIL_RETRY = Retry(max=6, interval=[10, 30, 120, 600, 1800, 3600])

# Jobs enqueued by an older release under a dotted name, still waiting in Redis after an
# upgrade: the worker runs them under their new name. Kept for one release (remove in the next).
LEGACY_NAMES = {
    "workers.jobs.item_received": "intake.feedback.jobs.follow_up_item",
    "workers.jobs.items_received": "intake.feedback.jobs.follow_up_batch",
    "workers.jobs.suggest_item": "intake.feedback.jobs.suggest_item",
    "workers.jobs.parse_inbound_batch": "intake.mailbox.jobs.parse_inbound_batch",
    "workers.jobs.parse_inbound": "intake.mailbox.jobs.parse_inbound",
    "workers.jobs.refetch_oversize": "intake.mailbox.jobs.refetch_oversize",
    "workers.triage_jobs.send_staff_reply": "intake.triage.jobs.send_staff_reply",
    "workers.triage_jobs.suggest": "intake.feedback.jobs.suggest_item",
    "workers.rectification_jobs.notify_closure": "intake.rectification.jobs.notify_closure",
    "workers.rectification_jobs.send_reminder": "intake.rectification.jobs.send_reminder",
}


@dataclass(frozen=True)
class JobPolicy:
    queue: str = MAIN
    retry: Retry | Callable[[], Retry] | None = None


def job(*, queue: str = MAIN, retry: Retry | Callable[[], Retry] | None = None):
    """Declare a function a job: the queue it runs on and its retries (a Retry, or a function
    of the app's config that returns one)."""

    def declare(func):
        func.job_policy = JobPolicy(queue, retry)
        return func

    return declare


class IntakeJob(Job):
    """rq's Job, resolving the names of LEGACY_NAMES to the functions that replaced them."""

    @property
    def func(self):
        name = self.func_name
        if name in LEGACY_NAMES and not self.instance:
            return import_attribute(LEGACY_NAMES[name])
        return super().func


def queue(name: str = MAIN) -> Queue:
    base = current_app.config["RQ_QUEUE"]
    return Queue(base if name == MAIN else f"{base}-{name}", connection=redis_connection(), job_class=IntakeJob)


def worker_queues() -> list[Queue]:
    """The queues a worker serves, the first first."""
    return [queue(MAIN), queue(TRIAGE)]


def enqueue(
    func, *args, job_id: str | None = None, unique: bool = False, pipeline=None, at_front: bool = False
) -> Job | None:
    """Enqueue a job function (declared with @job) with its queue and retries. With `unique`, a
    job of the same id still queued, running or kept in a registry is not queued again (None).
    With `at_front`, the job goes before those already waiting in its queue. Redis errors
    propagate: the caller decides what waits for the sweep."""
    policy: JobPolicy = func.job_policy
    retry = policy.retry() if callable(policy.retry) else policy.retry
    try:
        return queue(policy.queue).enqueue_call(
            func, args=args, job_id=job_id, retry=retry, unique=unique, pipeline=pipeline, at_front=at_front
        )
    except DuplicateJobError:
        return None


def enqueue_each(func, ids: list[int], job_id: Callable[[int], str], *, what: str) -> bool:
    """Enqueue one unique job per committed row. False when Redis is unreachable: the rows
    wait for the sweep."""
    try:
        for row_id in ids:
            enqueue(func, row_id, job_id=job_id(row_id), unique=True)
    except RedisError as exc:
        log.warning("Redis unavailable, %d %s left for the sweeper: %s", len(ids), what, exc)
        return False
    return True


def jobs_in_redis(job_ids: list[str]) -> set[str] | None:
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


def batches_in_redis(q: Queue, prefix: str, *, running: bool = False) -> set[int] | None:
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
    for found in jobs:
        if found is not None and found.args and isinstance(found.args[0], list):
            waiting.update(found.args[0])
    return waiting
