"""The mailbox watcher process (`intake watch`, `intake poll`): one thread per mailbox running
sessions (`intake/mailbox/session.py`) forever, reconnecting with backoff after any error."""

import logging
import random
import signal
import threading

from flask import Flask

from intake.extensions import db
from intake.mailbox import receiving, services
from intake.mailbox.session import MailboxSession

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
NO_MAILBOX_RECHECK_SECONDS = 60


def poll_once(app: Flask, mailbox_id: int) -> int:
    """Connect, one pass, disconnect: for cron, tests and `intake poll --once`."""
    session = MailboxSession(app, mailbox_id)
    session.connect()
    try:
        return session.poll()
    finally:
        session.close()


def watch_mailbox(app: Flask, mailbox_id: int, stop: threading.Event, *, poll_seconds: float | None = None) -> None:
    """Run forever (until `stop`): poll, wait, poll... After any error, reconnect with
    exponential backoff (with jitter), logging each failure."""
    poll_seconds = poll_seconds if poll_seconds is not None else app.config["IMAP_POLL_SECONDS"]
    session = MailboxSession(app, mailbox_id)
    failures = 0
    while not stop.is_set():
        try:
            if session.client is None:
                session.connect()
            session.poll()
            failures = 0
            session.wait(poll_seconds, stop)
        except Exception as exc:  # noqa: BLE001 - network, server and database errors alike
            failures += 1
            delay = min(MAX_BACKOFF_SECONDS, 2 ** min(failures - 1, 10)) * random.uniform(0.5, 1.0)
            log.warning(
                "mailbox %s: %s: %s; reconnecting in %.1fs (failure %d)",
                mailbox_id,
                type(exc).__name__,
                exc,
                delay,
                failures,
            )
            session.close()
            _record_error(app, mailbox_id, exc)
            stop.wait(delay)
    session.close()


def _record_error(app: Flask, mailbox_id: int, exc: BaseException) -> None:
    try:
        with app.app_context():
            receiving.record_poll(mailbox_id, error=f"{type(exc).__name__}: {exc}")
            db.session.commit()
    except Exception:  # noqa: BLE001 - the database may be what failed; the log has it
        pass


def run_watcher(app: Flask, mailbox_name: str | None = None) -> None:
    """`intake watch`: one thread per active mailbox, stopped cleanly by SIGTERM or Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    mailbox_ids = _mailboxes_to_watch(app, mailbox_name, stop)
    if not mailbox_ids:
        return
    threads = [
        threading.Thread(target=watch_mailbox, args=(app, mailbox_id, stop), name=f"mailbox-{mailbox_id}", daemon=True)
        for mailbox_id in mailbox_ids
    ]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        for thread in threads:
            thread.join(0.5)


def _mailboxes_to_watch(app: Flask, mailbox_name: str | None, stop: threading.Event) -> list[int]:
    """The mailboxes to watch, once there are any. Without one the watcher stays up, idle,
    looking again every NO_MAILBOX_RECHECK_SECONDS: it runs beside the web app under honcho,
    which would stop everything if it exited."""
    # The database may not be up yet when the watcher starts (make run): wait for it.
    failures = 0
    told = False
    while not stop.is_set():
        try:
            with app.app_context():
                services.ensure_default_mailbox(app.config)
                db.session.commit()
                ids = [m.id for m in services.active_mailboxes(mailbox_name)]
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            failures += 1
            delay = min(MAX_BACKOFF_SECONDS, 2 ** min(failures - 1, 10))
            log.warning("watcher: cannot read mailboxes (%s); retrying in %ss", exc, delay)
            stop.wait(delay)
            continue
        if ids:
            return ids
        if not told:
            log.warning(
                "no active mailbox to watch (set IMAP_HOST or add one with `intake mailbox add`); "
                "idle, looking again every %ss",
                NO_MAILBOX_RECHECK_SECONDS,
            )
            told = True
        stop.wait(NO_MAILBOX_RECHECK_SECONDS)
    return []
