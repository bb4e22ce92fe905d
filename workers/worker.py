"""An rq worker that runs each job inside a fresh app context of one app built per process."""

import logging
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue
from rq.worker import SimpleWorker

from intake.core.jobs import MAIN, IntakeJob, queue, worker_queues
from intake.ops import metrics
from intake.redis_client import redis_connection

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job), each in its own app context so the database
    session is fresh for every job and removed after it."""

    app: Flask
    jobs_run = 0

    def perform_job(self, job, queue: Queue, *args, **kwargs) -> bool:
        self.jobs_run += 1
        with self.app.app_context():
            started = time.perf_counter()
            ok = super().perform_job(job, queue, *args, **kwargs)
            try:
                metrics.record_job(job.func_name, time.perf_counter() - started, ok)
            except RedisError as exc:  # the job's outcome is in Redis already, or lost with it
                log.warning("job metrics not recorded: %s", exc)
            return ok


def build_worker(app: Flask, queue_names: list[str] | None = None) -> AppWorker:
    """A worker of the app's queues (or of those named); jobs enqueued under an old name run
    under their new one."""
    with app.app_context():
        queues = [queue(name) for name in queue_names] if queue_names else worker_queues()
        worker = AppWorker(queues, connection=redis_connection(), job_class=IntakeJob)
    worker.app = app
    return worker


def work_main_queue(app: Flask) -> int:
    """Run the main queue's jobs in this process until it is empty (`poll --once`): the parse
    jobs the poll queued, shared with any running worker. No scheduler: retries wait for a
    worker's. Returns how many jobs ran here."""
    worker = build_worker(app, [MAIN])
    worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
    return worker.jobs_run


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_worker(app).work(burst=burst, with_scheduler=True)
