"""The mailbox watcher process (`intake watch`, `intake poll`): one thread per mailbox running
sessions (`intake/mailbox/session.py`) forever, reconnecting with backoff after any error.
A thread stores from its mailbox only while it holds the mailbox's lease
(`intake/mailbox/lease.py`); a second watcher on the same mailbox waits for it."""

import logging
import random
import signal
import threading

from flask import Flask

from intake.extensions import db
from intake.mailbox import receiving, services
from intake.mailbox.lease import LeaseLost, MailboxLease
from intake.mailbox.session import MailboxSession
from intake.redis_client import redis_connection

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
NO_MAILBOX_RECHECK_SECONDS = 60


def poll_once(app: Flask, mailbox_id: int, lease: MailboxLease | None = None) -> int | None:
    """Connect, one pass, disconnect: for cron, tests and `intake poll --once`. With a `lease`
    (the `poll` command) the pass happens only while it is held: None when another watcher
    holds the mailbox."""
    if lease is not None and not lease.acquire():
        return None
    session = MailboxSession(app, mailbox_id, lease=lease)
    try:
        session.connect()
        return session.poll()
    finally:
        session.close()
        if lease is not None:
            _release_quietly(lease)


def watch_mailbox(
    app: Flask,
    mailbox_id: int,
    stop: threading.Event,
    *,
    poll_seconds: float | None = None,
    lease: MailboxLease | None = None,
) -> None:
    """Run forever (until `stop`): poll, wait, poll... After any error, reconnect with
    exponential backoff (with jitter), logging each failure. With a `lease`, first wait until
    this watcher holds the mailbox; when the lease is lost, wait for it again."""
    poll_seconds = poll_seconds if poll_seconds is not None else app.config["IMAP_POLL_SECONDS"]
    session = MailboxSession(app, mailbox_id, lease=lease)
    failures = 0
    while not stop.is_set():
        try:
            if lease is not None and not lease.held and not _hold(lease, mailbox_id, stop):
                break
            if session.client is None:
                session.connect()
            session.poll()
            failures = 0
            session.wait(poll_seconds, stop)
        except LeaseLost:
            log.warning("mailbox %s: lease lost (this watcher stalled?); stopped storing", mailbox_id)
            session.close()
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
    if lease is not None:
        _release_quietly(lease)


def _hold(lease: MailboxLease, mailbox_id: int, stop: threading.Event) -> bool:
    """Wait until this watcher holds the mailbox (False when stopped first)."""
    told: str | None = None
    while not stop.is_set():
        if lease.acquire():
            log.info("mailbox %s: this watcher holds the mailbox", mailbox_id)
            return True
        holder = lease.holder()
        if holder is not None and holder != told:
            log.info("mailbox %s: held by another watcher (%s); waiting to take over", mailbox_id, holder)
            told = holder
        stop.wait(lease.renew_every)
    return False


def _release_quietly(lease: MailboxLease) -> None:
    # Released on a clean stop, so a restarted watcher takes over at once.
    try:
        lease.release()
    except Exception:  # noqa: BLE001 - Redis down: the lease expires by itself
        pass


def _record_error(app: Flask, mailbox_id: int, exc: BaseException) -> None:
    try:
        with app.app_context():
            receiving.record_poll(mailbox_id, error=f"{type(exc).__name__}: {exc}")
            db.session.commit()
    except Exception:  # noqa: BLE001 - the database may be what failed; the log has it
        pass


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or Ctrl-C. Installed first thing, before anything slow, so that a
    watcher stopped while still starting stops cleanly instead of dying by the signal."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def run_watcher(app: Flask, mailbox_name: str | None = None, stop: threading.Event | None = None) -> None:
    """`intake watch`: one thread per active mailbox, stopped cleanly by SIGTERM or Ctrl-C."""
    stop = stop or stop_on_signals()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    log.info("watcher: starting")
    mailbox_ids = _mailboxes_to_watch(app, mailbox_name, stop)
    if not mailbox_ids:
        return
    with app.app_context():
        redis = redis_connection()
    seconds = app.config["WATCHER_LEASE_SECONDS"]
    threads = [
        threading.Thread(
            target=watch_mailbox,
            args=(app, mailbox_id, stop),
            kwargs={"lease": MailboxLease(redis, mailbox_id, seconds)},
            name=f"mailbox-{mailbox_id}",
            daemon=True,
        )
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
