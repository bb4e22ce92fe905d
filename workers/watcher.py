"""The mailbox watcher: one IMAP session per mailbox that stores new mail raw in the database,
hands it to the parse job, and marks on the server what has become an item.

Order of durability: raw bytes and the advanced checkpoint are committed together; then the
parse job is enqueued (or left for the sweeper); only when the message's item is committed is
the message marked on the server ($Ingested keyword, or moved to the processed folder). Nothing
is deleted from the server."""
import logging
import random
import signal
import ssl
import threading
import time
from datetime import timezone

from flask import Flask
from imapclient import IMAPClient

from intake.extensions import db
from intake.jobs import dispatch_inbound, sweep_inbound
from intake.mailbox import services
from intake.mailbox.models import Mailbox

log = logging.getLogger(__name__)

INGESTED = b"$Ingested"
# RFC 2177: servers may drop an IDLE after 30 minutes; renew well before.
IDLE_RENEW_SECONDS = 10 * 60
# While idling, how often to look in the database for items committed since the last poll
# (their messages can be marked) and for rows the sweeper must enqueue.
IDLE_CHECK_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 300
SIZE_FETCH_CHUNK = 1000
NO_MAILBOX_RECHECK_SECONDS = 60


def _utc_naive(value):
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class MailboxSession:
    """One connection to one mailbox folder. `poll()` is one pass: ask for UIDs above the
    checkpoint (one round trip when nothing is new), store what is new in bounded batches,
    mark what is done."""

    def __init__(self, app: Flask, mailbox_id: int):
        self.app = app
        self.mailbox_id = mailbox_id
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.can_idle = False
        self.can_move = False
        self.settings: services.ImapSettings | None = None
        config = app.config
        self.max_message_bytes = config["MAX_MESSAGE_MB"] * 1024 * 1024
        self.batch_messages = max(1, config["IMAP_BATCH_MESSAGES"])
        self.batch_bytes = max(1, config["IMAP_BATCH_MB"]) * 1024 * 1024
        self.timeout = config["IMAP_TIMEOUT_SECONDS"]

    # --- connection ---------------------------------------------------------------------------

    def connect(self) -> None:
        with self.app.app_context():
            mailbox = db.session.get(Mailbox, self.mailbox_id)
            self.settings = s = services.imap_settings(mailbox, self.app.config)
            name = mailbox.name
        client = open_client(s, self.timeout)
        try:
            if s.processed_folder and not client.folder_exists(s.processed_folder):
                client.create_folder(s.processed_folder)
            info = client.select_folder(s.folder)
            self.can_idle = client.has_capability("IDLE")
            self.can_move = client.has_capability("MOVE")
        except BaseException:
            _close_quietly(client)
            raise
        self.client = client
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        with self.app.app_context():
            services.open_checkpoint(self.mailbox_id, self.uidvalidity)
            db.session.commit()
        log.info("mailbox %s: connected to %s:%s/%s (uidvalidity %s, idle %s)",
                 name, s.host, s.port, s.folder, self.uidvalidity, self.can_idle)

    def close(self) -> None:
        if self.client is not None:
            _close_quietly(self.client)
            self.client = None

    # --- one pass ------------------------------------------------------------------------------

    def poll(self) -> int:
        """Store what is new and mark what is done. Returns how many messages were stored."""
        with self.app.app_context():
            last_uid = db.session.get(Mailbox, self.mailbox_id).last_uid
            db.session.rollback()  # no transaction held open across network round trips
            stored = 0
            new_uids = self.new_uids(last_uid)
            if new_uids:
                stored = self._store(new_uids)
            self.mark_done()
            sweep_inbound()
            services.record_poll(self.mailbox_id)
            db.session.commit()
            return stored

    def new_uids(self, last_uid: int) -> list[int]:
        # `N:*` always matches the highest UID, even when it is below N: filter it out.
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def _store(self, uids: list[int]) -> int:
        sizes: dict[int, tuple[int, object]] = {}
        for start in range(0, len(uids), SIZE_FETCH_CHUNK):
            chunk = uids[start:start + SIZE_FETCH_CHUNK]
            for uid, data in self.client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"]).items():
                sizes[uid] = (int(data[b"RFC822.SIZE"]), data.get(b"INTERNALDATE"))
        stored = 0
        for batch in self._batches(uids, sizes):
            stored += self._store_batch(batch, sizes)
        return stored

    def _batches(self, uids: list[int], sizes: dict):
        batch, batch_bytes = [], 0
        for uid in uids:
            size = sizes.get(uid, (0, None))[0]
            cost = size if size <= self.max_message_bytes else 0
            if batch and (len(batch) >= self.batch_messages or batch_bytes + cost > self.batch_bytes):
                yield batch
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += cost
        if batch:
            yield batch

    def _store_batch(self, batch: list[int], sizes: dict) -> int:
        small = [u for u in batch if u in sizes and sizes[u][0] <= self.max_message_bytes]
        large = [u for u in batch if u in sizes and sizes[u][0] > self.max_message_bytes]
        fetched: list[services.FetchedMessage] = []
        if small:
            for uid, data in self.client.fetch(small, ["BODY.PEEK[]"]).items():
                raw = data.get(b"BODY[]")
                if raw is None:
                    continue
                fetched.append(services.FetchedMessage(
                    uid=uid, raw=bytes(raw), size=sizes[uid][0], internaldate=_utc_naive(sizes[uid][1])))
        if large:
            for uid, data in self.client.fetch(large, ["BODY.PEEK[HEADER]"]).items():
                fetched.append(services.FetchedMessage(
                    uid=uid, raw=bytes(data.get(b"BODY[HEADER]") or b""), size=sizes[uid][0],
                    internaldate=_utc_naive(sizes[uid][1]), oversize=True))
        # Messages expunged since the search are simply absent; the checkpoint passes them.
        ids = services.store_fetched(self.mailbox_id, self.uidvalidity, fetched, last_uid=max(batch))
        db.session.commit()
        dispatch_inbound(ids)
        return len(fetched)

    def mark_done(self) -> int:
        """Mark on the server the messages whose item (or quarantine entry) is committed."""
        marked = 0
        while rows := services.unmarked_messages(self.mailbox_id, self.uidvalidity):
            db.session.rollback()
            row_ids = [row_id for row_id, _uid in rows]
            uids = [uid for _row_id, uid in rows]
            folder = self.settings.processed_folder
            if folder:
                if self.can_move:
                    self.client.move(uids, folder)
                else:
                    self.client.copy(uids, folder)
                    self.client.add_flags(uids, [INGESTED], silent=True)
            else:
                self.client.add_flags(uids, [INGESTED], silent=True)
            services.record_marked(row_ids)
            db.session.commit()
            marked += len(rows)
        return marked

    def has_work(self) -> bool:
        """Something to mark or to enqueue, without asking the IMAP server."""
        with self.app.app_context():
            if services.unmarked_messages(self.mailbox_id, self.uidvalidity, limit=1):
                return True
            cutoff = services.requeue_cutoff(self.app.config["MAIL_REQUEUE_SECONDS"])
            return bool(services.inbound_to_enqueue(cutoff, limit=1))

    # --- waiting -------------------------------------------------------------------------------

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Wait for new mail: IDLE when the server has it (EXISTS only wakes us; the next poll
        asks for UIDs itself), otherwise sleep. Returns early when there is work to do."""
        deadline = time.monotonic() + min(seconds, IDLE_RENEW_SECONDS)
        if not self.can_idle:
            while not stop.is_set() and time.monotonic() < deadline:
                if stop.wait(min(IDLE_CHECK_SECONDS, max(0.0, deadline - time.monotonic()))):
                    return
                if self.has_work():
                    return
            return
        self.client.idle()
        try:
            while not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                responses = self.client.idle_check(timeout=min(IDLE_CHECK_SECONDS, remaining))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    break
                if self.has_work():
                    break
        finally:
            self.client.idle_done()


def open_client(s: services.ImapSettings, timeout: float) -> IMAPClient:
    """A logged-in IMAP session (TLS or STARTTLS as configured), no folder selected."""
    from imapclient import SocketTimeout

    context = ssl.create_default_context() if (s.ssl or s.starttls) else None
    client = IMAPClient(
        s.host, port=s.port, ssl=s.ssl, ssl_context=context if s.ssl else None,
        timeout=SocketTimeout(connect=15, read=timeout),
    )
    try:
        client.normalise_times = False
        if s.starttls:
            client.starttls(context)
        client.login(s.username, s.password)
    except BaseException:
        _close_quietly(client)
        raise
    return client


def fetch_anew(app: Flask, inbound_id: int) -> bytes | None:
    """The whole of a message stored over-size, fetched again from the server: by its UID in
    its folder while the UIDVALIDITY is the same, else (moved to the processed folder, or the
    folder renumbered) by its Message-ID. None when it is no longer there."""
    from intake.mailbox.models import InboundMessage

    with app.app_context():
        row = db.session.get(InboundMessage, inbound_id)
        settings = services.imap_settings(row.mailbox, app.config)
        uidvalidity, uid, message_id = row.uidvalidity, row.uid, row.message_id
    client = open_client(settings, app.config["IMAP_TIMEOUT_SECONDS"])
    try:
        info = client.select_folder(settings.folder, readonly=True)
        if uid and int(info[b"UIDVALIDITY"]) == uidvalidity:
            found = client.fetch([uid], ["BODY.PEEK[]"]).get(uid)
            if found and found.get(b"BODY[]") is not None:
                return bytes(found[b"BODY[]"])
        if not message_id:
            return None
        for folder in filter(None, (settings.folder, settings.processed_folder)):
            client.select_folder(folder, readonly=True)
            uids = client.search(["HEADER", "Message-ID", message_id])
            if uids:
                found = client.fetch(uids[:1], ["BODY.PEEK[]"]).get(uids[0])
                if found and found.get(b"BODY[]") is not None:
                    return bytes(found[b"BODY[]"])
        return None
    finally:
        _close_quietly(client)


def _close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection is being thrown away
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


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
            log.warning("mailbox %s: %s: %s; reconnecting in %.1fs (failure %d)",
                        mailbox_id, type(exc).__name__, exc, delay, failures)
            session.close()
            _record_error(app, mailbox_id, exc)
            stop.wait(delay)
    session.close()


def _record_error(app: Flask, mailbox_id: int, exc: BaseException) -> None:
    try:
        with app.app_context():
            services.record_poll(mailbox_id, error=f"{type(exc).__name__}: {exc}")
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
            log.warning("no active mailbox to watch (set IMAP_HOST or add one with `intake mailbox add`); "
                        "idle, looking again every %ss", NO_MAILBOX_RECHECK_SECONDS)
            told = True
        stop.wait(NO_MAILBOX_RECHECK_SECONDS)
    return []

