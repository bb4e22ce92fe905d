"""One watcher session on one mailbox folder: store new mail raw in the database, hand it to
the parse job, and mark on the server what has become an item.

Order of durability: raw bytes and the advanced checkpoint are committed together; then the
parse job is enqueued (or left for the sweeper); only when the message's item is committed is
the message marked on the server ($Ingested keyword, or moved to the processed folder). Nothing
is deleted from the server. The process that runs sessions forever is `workers/watcher.py`."""

import logging
import threading
import time
from datetime import UTC

from flask import Flask
from imapclient import IMAPClient

from intake.extensions import db
from intake.mailbox import receiving, services
from intake.mailbox.imap import close_quietly, open_client
from intake.mailbox.jobs import dispatch_inbound, sweep_inbound
from intake.mailbox.lease import MailboxLease
from intake.mailbox.models import Mailbox

log = logging.getLogger(__name__)

INGESTED = b"$Ingested"
# RFC 2177: servers may drop an IDLE after 30 minutes; renew well before.
IDLE_RENEW_SECONDS = 10 * 60
# While idling, how often to look in the database for items committed since the last poll
# (their messages can be marked) and for rows the sweeper must enqueue.
IDLE_CHECK_SECONDS = 2.0
SIZE_FETCH_CHUNK = 1000


def _utc_naive(value):
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


class MailboxSession:
    """One connection to one mailbox folder. `poll()` is one pass: ask for UIDs above the
    checkpoint (one round trip when nothing is new), store what is new in bounded batches,
    mark what is done.

    With a `lease` (the long-running watcher), the lease is renewed before every commit and
    every server-side mark, and while waiting; losing it raises LeaseLost."""

    def __init__(self, app: Flask, mailbox_id: int, lease: MailboxLease | None = None):
        self.app = app
        self.mailbox_id = mailbox_id
        self.lease = lease
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.can_idle = False
        self.can_move = False
        self.seen_uid: int | None = None  # the highest UID the last pass asked about
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
            close_quietly(client)
            raise
        self.client = client
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        with self.app.app_context():
            receiving.open_checkpoint(self.mailbox_id, self.uidvalidity)
            db.session.commit()
        log.info(
            "mailbox %s: connected to %s:%s/%s (uidvalidity %s, idle %s)",
            name,
            s.host,
            s.port,
            s.folder,
            self.uidvalidity,
            self.can_idle,
        )

    def close(self) -> None:
        if self.client is not None:
            close_quietly(self.client)
            self.client = None

    # --- one pass ------------------------------------------------------------------------------

    def poll(self) -> int:
        """Store what is new and mark what is done. Returns how many messages were stored."""
        with self.app.app_context():
            last_uid = db.session.get(Mailbox, self.mailbox_id).last_uid
            db.session.rollback()  # no transaction held open across network round trips
            stored = 0
            self.seen_uid = last_uid
            new_uids = self.new_uids(last_uid)
            while new_uids:
                self.seen_uid = max(new_uids)
                stored += self._store(new_uids)
                if len(new_uids) <= self.batch_messages:
                    break
                # Mail that arrived while a large pass was stored is taken now, as live mail,
                # not after the marking and the wait.
                new_uids = self.new_uids(max(new_uids))
            self.mark_done()
            sweep_inbound()
            receiving.record_poll(self.mailbox_id)
            db.session.commit()
            return stored

    def new_uids(self, last_uid: int) -> list[int]:
        # `N:*` always matches the highest UID, even when it is below N: filter it out.
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def _store(self, uids: list[int]) -> int:
        # A pass of one batch or less is mail as it arrives: its parse job goes before the
        # batches of a bulk import still waiting (a large pass queues its own at the back).
        live = len(uids) <= self.batch_messages
        sizes = self._sizes(uids)
        stored = 0
        for batch in self._batches(uids, sizes):
            stored += self._store_batch(batch, sizes, live=live)
            if not live:
                stored += self._store_arrivals()
        return stored

    def _store_arrivals(self) -> int:
        """Between the batches of a large pass, mail that has just arrived (one batch or less) is
        stored at once as live mail, its parse job first in the queue: it does not wait for the
        rest of a bulk delivery to be stored. The checkpoint does not move (it stays below every
        UID not stored yet); the pass's later batches, and any session after a crash, find these
        UIDs stored and only move the checkpoint past them. One UID SEARCH per batch."""
        arrived = self.new_uids(self.seen_uid)
        if not arrived or len(arrived) > self.batch_messages:
            return 0  # nothing, or a bulk of its own: the pass takes it in its turn
        self.seen_uid = max(arrived)
        return self._store_batch(arrived, self._sizes(arrived), live=True, advance=False)

    def _sizes(self, uids: list[int]) -> dict[int, tuple[int, object]]:
        sizes: dict[int, tuple[int, object]] = {}
        for start in range(0, len(uids), SIZE_FETCH_CHUNK):
            chunk = uids[start : start + SIZE_FETCH_CHUNK]
            for uid, data in self.client.fetch(chunk, ["RFC822.SIZE", "INTERNALDATE"]).items():
                sizes[uid] = (int(data[b"RFC822.SIZE"]), data.get(b"INTERNALDATE"))
        return sizes

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

    def _store_batch(self, batch: list[int], sizes: dict, *, live: bool, advance: bool = True) -> int:
        done = receiving.stored_uids(self.mailbox_id, self.uidvalidity, batch)
        small = [u for u in batch if u in sizes and u not in done and sizes[u][0] <= self.max_message_bytes]
        large = [u for u in batch if u in sizes and u not in done and sizes[u][0] > self.max_message_bytes]
        fetched: list[receiving.FetchedMessage] = []
        if small:
            for uid, data in self.client.fetch(small, ["BODY.PEEK[]"]).items():
                raw = data.get(b"BODY[]")
                if raw is None:
                    continue
                fetched.append(
                    receiving.FetchedMessage(
                        uid=uid, raw=bytes(raw), size=sizes[uid][0], internaldate=_utc_naive(sizes[uid][1])
                    )
                )
        if large:
            for uid, data in self.client.fetch(large, ["BODY.PEEK[HEADER]"]).items():
                fetched.append(
                    receiving.FetchedMessage(
                        uid=uid,
                        raw=bytes(data.get(b"BODY[HEADER]") or b""),
                        size=sizes[uid][0],
                        internaldate=_utc_naive(sizes[uid][1]),
                        oversize=True,
                    )
                )
        # Messages expunged since the search are simply absent; the checkpoint passes them.
        last_uid = max(batch) if advance else None
        ids = receiving.store_fetched(self.mailbox_id, self.uidvalidity, fetched, last_uid=last_uid)
        self.confirm_lease()
        db.session.commit()
        dispatch_inbound(ids, live=live)
        return len(fetched)

    def mark_done(self) -> int:
        """Mark on the server the messages whose item (or quarantine entry) is committed."""
        marked = 0
        while rows := receiving.unmarked_messages(self.mailbox_id, self.uidvalidity):
            db.session.rollback()
            row_ids = [row_id for row_id, _uid in rows]
            uids = [uid for _row_id, uid in rows]
            self.confirm_lease()
            folder = self.settings.processed_folder
            if folder:
                if self.can_move:
                    self.client.move(uids, folder)
                else:
                    self.client.copy(uids, folder)
                    self.client.add_flags(uids, [INGESTED], silent=True)
            else:
                self.client.add_flags(uids, [INGESTED], silent=True)
            receiving.record_marked(row_ids)
            db.session.commit()
            marked += len(rows)
        return marked

    def confirm_lease(self) -> None:
        if self.lease is not None:
            self.lease.confirm()

    def has_work(self) -> bool:
        """Something to mark or to enqueue, without asking the IMAP server."""
        with self.app.app_context():
            if receiving.unmarked_messages(self.mailbox_id, self.uidvalidity, limit=1):
                return True
            cutoff = services.requeue_cutoff(self.app.config["MAIL_REQUEUE_SECONDS"])
            return bool(services.inbound_to_enqueue(cutoff, limit=1))

    # --- waiting -------------------------------------------------------------------------------

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Wait for new mail: IDLE when the server has it (EXISTS only wakes us; the next poll
        asks for UIDs itself), otherwise sleep. Returns early when there is work to do."""
        # Mail that arrived while the last pass ran was announced (EXISTS) in the answer to one of
        # its commands, not in the IDLE that follows: ask once (one UID SEARCH) before waiting.
        if self.seen_uid is not None and self.new_uids(self.seen_uid):
            return
        deadline = time.monotonic() + min(seconds, IDLE_RENEW_SECONDS)
        if not self.can_idle:
            while not stop.is_set() and time.monotonic() < deadline:
                if stop.wait(min(IDLE_CHECK_SECONDS, max(0.0, deadline - time.monotonic()))):
                    return
                self.confirm_lease()
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
                self.confirm_lease()
                if self.has_work():
                    break
        finally:
            self.client.idle_done()
