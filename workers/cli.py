"""The service's long-running processes as `flask --app wsgi intake ...` commands: the rq
worker, the mailbox watcher (and its one-pass form, `poll`) and the periodic runner. `wsgi.py`
adds them to the `intake` group, so nothing in `intake/` imports this package. What a command
needs is imported when it runs: `flask` and gunicorn start without the jobs' imports."""

import logging
import os
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from intake.cli import intake_cli
from intake.extensions import db

log = logging.getLogger(__name__)


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an rq worker for the app's queues (with the scheduler, for retries)."""
    from workers.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@click.command("watch")
@with_appcontext
@click.option("--mailbox", "mailbox_name", default=None, help="Only this mailbox (by name).")
def watch(mailbox_name: str | None) -> None:
    """Watch the mailboxes (IDLE when offered, polling otherwise), reconnecting forever."""
    # The signal handlers go in before the watcher's imports (IMAP, rq, the mail pipeline).
    import signal

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    from workers.watcher import run_watcher

    run_watcher(current_app._get_current_object(), mailbox_name, stop)


@click.command("poll")
@with_appcontext
@click.option("--once", is_flag=True, help="One pass over each mailbox, then exit (for cron and tests).")
@click.option("--mailbox", "mailbox_name", default=None, help="Only this mailbox (by name).")
@click.option(
    "--parse/--no-parse",
    default=True,
    help="With --once: work through the queued parse jobs before exiting, beside any running worker "
    "(default), or leave them to the workers.",
)
def poll(once: bool, mailbox_name: str | None, parse: bool) -> None:
    """Fetch new mail from the mailboxes by polling (no IDLE); `watch` is the long-running form.

    `--once` stores what is new, then takes the queued parse jobs itself until the queue is
    empty, sharing them with any worker already running: its mail is items when it exits (the
    suggestions and receipts stay with the workers), and a cron poll needs no worker started
    for it. A job it dies in is retried by a worker like any other. On more than one core a
    forked process parses beside the fetch (workers/worker.py `ParserBeside`)."""
    from intake.mailbox import services as mailbox_services

    app = current_app._get_current_object()
    mailbox_services.ensure_default_mailbox(app.config)
    db.session.commit()
    mailboxes = [(m.id, m.name) for m in mailbox_services.active_mailboxes(mailbox_name)]
    db.session.remove()
    if not mailboxes:
        raise click.ClickException("no active mailbox (set IMAP_HOST or use `intake mailbox add`)")
    stop = threading.Event()
    parser = None
    if once and parse and (os.cpu_count() or 1) > 1:
        from workers.worker import ParserBeside, main_queue_has_workers

        if not main_queue_has_workers(app):  # a running worker parses beside the fetch already
            parser = ParserBeside(app)
    try:
        _poll_loop(app, mailboxes, once, parse, parser, stop)
    finally:
        if parser is not None:
            parser.stop()


def _poll_loop(app, mailboxes, once: bool, parse: bool, parser, stop: threading.Event) -> None:
    from intake.mailbox.lease import MailboxLease
    from intake.redis_client import redis_connection
    from workers.watcher import poll_once

    while True:
        failed = False
        for mailbox_id, name in mailboxes:
            # A watcher (or another poll) holding the mailbox is left to it.
            lease = MailboxLease(redis_connection(), mailbox_id, app.config["WATCHER_LEASE_SECONDS"])
            try:
                count = poll_once(app, mailbox_id, lease)
            except Exception as exc:  # noqa: BLE001 - reported, and the other mailboxes go on
                failed = True
                click.echo(f"{name}: {type(exc).__name__}: {exc}", err=True)
                continue
            if count is None:
                click.echo(f"{name}: held by another watcher ({lease.holder()}); skipped")
                continue
            click.echo(f"{name}: stored {count} message(s)")
        if once and parse:
            from workers.worker import work_main_queue

            done = work_main_queue(app)
            if parser is not None:
                done += parser.stop()
            click.echo(f"parsed here: {done} job(s); the rest by the workers")
        if once:
            if failed:
                raise SystemExit(1)
            return
        stop.wait(app.config["IMAP_POLL_SECONDS"])


@click.command("periodic")
@with_appcontext
@click.option("--only", "names", multiple=True, help="Run only this task (repeatable): see intake/periodic.py.")
@click.option("--once", is_flag=True, help="Run each task once, then exit.")
def periodic(names: tuple[str, ...], once: bool) -> None:
    """Run the periodic work of intake/periodic.py, each task at its own interval."""
    from intake.periodic import PERIODIC, by_name

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        tasks = [by_name(n) for n in names] if names else list(PERIODIC)
    except KeyError as exc:
        raise click.BadParameter(
            f"no periodic task {exc}; known: {', '.join(p.name for p in PERIODIC)}", param_hint="--only"
        ) from exc
    due = {task.name: 0.0 for task in tasks}
    while True:
        for task in tasks:
            if time.monotonic() < due[task.name]:
                continue
            try:
                result = task.run()
            except Exception:  # noqa: BLE001 - one task's failure must not stop the others
                log.exception("periodic task %s failed; next try in %ss", task.name, task.every_seconds)
                result = None
            finally:
                db.session.remove()
            if result:
                click.echo(f"{task.name}: {result}")
            due[task.name] = time.monotonic() + task.every_seconds
        if once:
            return
        time.sleep(max(0.5, min(due.values()) - time.monotonic()))


@click.command("sweep")
@with_appcontext
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
def sweep_command(every: float) -> None:
    """Enqueue the jobs Redis never got or lost (items, stored mail, staff replies)."""
    from intake.periodic import sweep

    while True:
        count = sweep()
        if count:
            click.echo(f"dispatched {count} item(s)")
        db.session.remove()
        if not every:
            return
        time.sleep(every)


def init_app(app: Flask) -> None:
    for command in (worker, watch, poll, periodic, sweep_command):
        intake_cli.add_command(command)
