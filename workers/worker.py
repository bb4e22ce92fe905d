"""An rq worker that runs each job inside a fresh app context of one app built per process."""
import logging

from flask import Flask
from rq import Queue
from rq.worker import SimpleWorker

from intake.jobs import worker_queues
from intake.redis_client import redis_connection


class AppWorker(SimpleWorker):
    """Runs jobs in-process (no fork per job), each in its own app context so the database
    session is fresh for every job and removed after it."""

    app: Flask

    def perform_job(self, job, queue: Queue, *args, **kwargs) -> bool:
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with app.app_context():
        worker = AppWorker(worker_queues(), connection=redis_connection())
    worker.app = app
    return worker.work(burst=burst, with_scheduler=True)
