"""An rq worker that runs each job inside a fresh app context of one app built per process."""

import logging
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue
from rq.worker import SimpleWorker

from intake.core.jobs import IntakeJob, worker_queues
from intake.ops import metrics
from intake.redis_client import redis_connection

log = logging.getLogger(__name__)


class AppWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job), each in its own app context so the database
    session is fresh for every job and removed after it."""

    app: Flask

    def perform_job(self, job, queue: Queue, *args, **kwargs) -> bool:
        with self.app.app_context():
            started = time.perf_counter()
            ok = super().perform_job(job, queue, *args, **kwargs)
            try:
                metrics.record_job(job.func_name, time.perf_counter() - started, ok)
            except RedisError as exc:  # the job's outcome is in Redis already, or lost with it
                log.warning("job metrics not recorded: %s", exc)
            return ok


def build_worker(app: Flask) -> AppWorker:
    """A worker of the app's queues; jobs enqueued under an old name run under their new one."""
    with app.app_context():
        worker = AppWorker(worker_queues(), connection=redis_connection(), job_class=IntakeJob)
    worker.app = app
    return worker


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_worker(app).work(burst=burst, with_scheduler=True)
