"""An rq worker that runs each job inside a fresh app context of one app built per process."""

import contextlib
import ctypes
import gc
import logging
import os
import signal
import time

from flask import Flask
from redis.exceptions import RedisError
from rq import Queue
from rq.worker import SimpleWorker, Worker
from sqlalchemy.orm import configure_mappers

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
    # rq installs its own SIGTERM/SIGINT handlers and leaves them: put the poll's back after.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return worker.jobs_run


def main_queue_has_workers(app: Flask) -> bool:
    """Whether a worker (of any host) listens on the main queue now, by rq's registry."""
    with app.app_context():
        return Worker.count(queue=queue(MAIN)) > 0


# A forked parser outlives an idle minute only if its parent forgot it (the parent stops it).
PARSER_IDLE_SECONDS = 60
_PR_SET_PDEATHSIG = 1


class ParserBeside:
    """`poll --once` on a machine with more than one core: a forked process takes the parse
    jobs while the poll is still fetching, instead of after it (the cold start of issue 19).
    Forked before the pass, with no database or Redis connection to inherit; it stops when the
    poll has emptied the queue with it (one SIGTERM: rq's warm shutdown lets a job in hand
    finish) or when the poll dies (the kernel sends it SIGTERM then). A job it dies in is
    retried like any worker's. `stop()` returns its count, added to the poll's."""

    def __init__(self, app: Flask):
        from intake.extensions import db

        with app.app_context():
            db.engine.dispose()  # neither process may use a connection the other holds
            redis_connection().connection_pool.disconnect()
        parent = os.getpid()
        read_end, write_end = os.pipe()
        self.pid: int | None = os.fork()
        if self.pid == 0:
            os.close(read_end)
            _parse_until_stopped(app, write_end, parent)  # never returns
        os.close(write_end)
        self._counts: int | None = read_end
        self._signalled = False
        self._ran = 0

    def stop(self) -> int:
        """Stop the parser (one SIGTERM, whatever happens: a second would be rq's cold shutdown,
        which kills the job in hand), wait for it, and return how many jobs it ran. Safe to call
        again, also after an interruption."""
        if self.pid is not None:
            if not self._signalled:
                self._signalled = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGTERM)
            with contextlib.suppress(ChildProcessError):  # reaped already (SIGCHLD ignored)
                os.waitpid(self.pid, 0)
            self.pid = None
        if self._counts is not None:
            fd, self._counts = self._counts, None
            with os.fdopen(fd) as counts:
                text = counts.read().strip()
            self._ran = int(text) if text.isdigit() else 0
        return self._ran


def _parse_until_stopped(app: Flask, counts_fd: int, parent: int) -> None:
    ran = 0
    try:
        prctl = getattr(ctypes.CDLL(None, use_errno=True), "prctl", None)
        if prctl is not None:  # Linux: SIGTERM to this process when the poll dies
            prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the poll died before that: nothing to parse beside
            return
        worker = build_worker(app, [MAIN])
        worker.work(burst=False, with_scheduler=False, logging_level="WARNING", max_idle_time=PARSER_IDLE_SECONDS)
        ran = worker.jobs_run
    except BaseException:  # noqa: BLE001 - a forked child must never return into the poll's code
        log.exception("the parser beside the poll stopped")
    finally:
        with contextlib.suppress(OSError):
            os.write(counts_fd, str(ran).encode())
        os._exit(0)


def run_worker(app: Flask, *, burst: bool = False) -> bool:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    _warm_up(app)
    return build_worker(app).work(burst=burst, with_scheduler=True)


def _warm_up(app: Flask) -> None:
    """Pay before the first job what the first jobs would pay (issue 19): the ORM's mappers, the
    suggestions' imports, caches and conversion tables, and the trained model (with one, loading
    it brings scikit-learn and SciPy: ~1 s). A worker takes a suggestion job whenever the main
    queue is empty for a moment, which happens between two parse jobs of a delivery; the first
    one would hold the rest of the delivery back by that much. What was loaded is frozen out of
    the collector's sight, and the database connections are closed before rq forks its
    scheduler (a child must not share them)."""
    from intake.extensions import db
    from intake.triage import suggestions

    configure_mappers()
    with app.app_context():
        for step in (
            suggestions.load_model,
            lambda: suggestions.signature_bytes("政务服务大厅窗口"),
            suggestions.scorer,
        ):
            try:
                step()
            except Exception:  # noqa: BLE001 - a job meets the same problem and reports it
                log.warning("warming up the suggestions failed", exc_info=True)
        db.session.remove()
        db.engine.dispose()
    gc.freeze()
