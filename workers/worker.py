"""An rq worker that runs each job inside a fresh app context of one app built per process."""

import logging

from flask import Flask
from rq import Queue
from rq.worker import SimpleWorker

from intake.core.jobs import IntakeJob, worker_queues
from intake.redis_client import redis_connection


class AppWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job), each in its own app context so the database
    session is fresh for every job and removed after it."""

    app: Flask

    def perform_job(self, job, queue: Queue, *args, **kwargs) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def build_worker(app: Flask) -> AppWorker:
    """A worker of the app's queues; jobs enqueued under an old name run under their new one."""
    with app.app_context():
        worker = AppWorker(worker_queues(), connection=redis_connection(), job_class=IntakeJob)
    worker.app = app
    return worker


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return build_worker(app).work(burst=burst, with_scheduler=True)
