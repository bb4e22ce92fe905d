"""Handing work to the rq workers. The database is the source of truth: a job is enqueued only
after its rows are committed, and what could not be enqueued is enqueued by the sweeper later."""
import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Queue, Retry

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.redis_client import redis_connection

log = logging.getLogger(__name__)

ITEM_RECEIVED_JOB = "workers.jobs.item_received"
# Retries with growing waits: an SMTP outage of an hour still ends in a sent receipt.
ITEM_RECEIVED_RETRY = Retry(max=6, interval=[10, 30, 120, 600, 1800, 3600])


def queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())


def dispatch_items(item_ids: list[int]) -> bool:
    """Enqueue the follow-up job of committed items and mark them dispatched.

    Returns False when Redis is unreachable; the rows stay undispatched for the sweeper."""
    if not item_ids:
        return True
    try:
        q = queue()
        with q.connection.pipeline() as pipe:
            for item_id in item_ids:
                # A stable job id: enqueueing twice (sweeper racing a request) runs one job
                # twice at worst, and the job is idempotent.
                q.enqueue_call(
                    ITEM_RECEIVED_JOB,
                    args=(item_id,),
                    job_id=f"item-received-{item_id}",
                    retry=ITEM_RECEIVED_RETRY,
                    pipeline=pipe,
                )
            pipe.execute()
    except RedisError as exc:
        log.warning("Redis unavailable, %d item(s) left for the sweeper: %s", len(item_ids), exc)
        return False
    feedback_services.mark_dispatched(item_ids)
    db.session.commit()
    return True


def sweep_undispatched() -> int:
    """Enqueue every committed item whose job never reached Redis. Returns how many."""
    total = 0
    while ids := feedback_services.undispatched_item_ids():
        if not dispatch_items(ids):
            break
        total += len(ids)
    return total
