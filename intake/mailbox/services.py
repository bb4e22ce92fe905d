"""Write operations of the mailbox: checkpoints and raw storage for the watcher, turning stored
mail into items or thread entries for the parse job, quarantine and replay, bounces.

Services take plain values and ids, flush, and leave the commit to the caller (job, watcher,
command or request)."""
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

from sqlalchemy import func, insert, or_, select, update

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Event, EventKind, FeedbackItem, Source
from intake.mailbox.decoding import HostileMessage, MailParseError, ParsedMessage, parse_message
from intake.mailbox.models import (
    DEFAULT_MAILBOX,
    MARKABLE_STATES,
    BouncingAddress,
    Direction,
    InboundMessage,
    InboundState,
    Mailbox,
    ThreadEntry,
)
from intake.mailbox.replies import find_tracking_code, split_reply, strip_subject_prefixes
from intake.timeutil import utcnow

log = logging.getLogger(__name__)

NO_SUBJECT = "—"


def _cut(value: str | None, length: int) -> str | None:
    if value is None:
        return None
    return value[:length]


# --- mailboxes and their settings -----------------------------------------------------------

@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str | None = None


def ensure_default_mailbox(config) -> Mailbox | None:
    """The `default` mailbox row, kept in step with the IMAP_* settings; None without IMAP_HOST.

    The settings win over the row, but the checkpoint in the row is kept."""
    if not config.get("IMAP_HOST"):
        return None
    mailbox = db.session.scalar(select(Mailbox).where(Mailbox.name == DEFAULT_MAILBOX))
    if mailbox is None:
        mailbox = Mailbox(name=DEFAULT_MAILBOX, last_uid=0)
        db.session.add(mailbox)
    mailbox.host = config["IMAP_HOST"]
    mailbox.port = config["IMAP_PORT"]
    mailbox.use_ssl = config["IMAP_SSL"]
    mailbox.use_starttls = config["IMAP_STARTTLS"]
    mailbox.username = config["IMAP_USER"]
    mailbox.password_env = None
    if mailbox.folder is not None and mailbox.folder != config["IMAP_FOLDER"]:
        # Another folder is another UID space: its checkpoint starts over.
        mailbox.uidvalidity = None
        mailbox.last_uid = 0
    mailbox.folder = config["IMAP_FOLDER"]
    mailbox.processed_folder = config["IMAP_PROCESSED_FOLDER"] or None
    mailbox.is_active = True
    db.session.flush()
    return mailbox


def add_mailbox(
    name: str,
    *,
    host: str,
    port: int,
    username: str,
    password_env: str,
    use_ssl: bool = True,
    use_starttls: bool = False,
    folder: str = "INBOX",
    processed_folder: str | None = None,
) -> Mailbox:
    """A further mailbox; its password is read from the environment variable `password_env`."""
    mailbox = Mailbox(
        name=name, host=host, port=port, username=username, password_env=password_env,
        use_ssl=use_ssl, use_starttls=use_starttls, folder=folder,
        processed_folder=processed_folder or None, is_active=True, last_uid=0,
    )
    db.session.add(mailbox)
    db.session.flush()
    return mailbox


def active_mailboxes(name: str | None = None) -> list[Mailbox]:
    query = select(Mailbox).where(Mailbox.is_active.is_(True)).order_by(Mailbox.id)
    if name:
        query = query.where(Mailbox.name == name)
    return list(db.session.scalars(query))


def imap_settings(mailbox: Mailbox, config) -> ImapSettings:
    if mailbox.password_env:
        password = os.environ.get(mailbox.password_env, "")
    else:
        password = config.get("IMAP_PASSWORD", "")
    return ImapSettings(
        host=mailbox.host, port=mailbox.port, ssl=mailbox.use_ssl, starttls=mailbox.use_starttls,
        username=mailbox.username, password=password, folder=mailbox.folder,
        processed_folder=mailbox.processed_folder,
    )


# --- the watcher's side: checkpoint, raw storage, marking -------------------------------------

@dataclass
class FetchedMessage:
    uid: int
    raw: bytes  # the whole message, or only its header block when oversize
    size: int  # RFC822.SIZE as the server reported it
    internaldate: datetime | None = None
    oversize: bool = False


def open_checkpoint(mailbox_id: int, uidvalidity: int) -> int:
    """The last UID stored for this mailbox under `uidvalidity`. A changed UIDVALIDITY means
    the server renumbered the folder: start over from UID 0 (the parse job drops byte-identical
    copies) and raise an operator alert."""
    mailbox = db.session.get(Mailbox, mailbox_id)
    if mailbox.uidvalidity is None:
        mailbox.uidvalidity = uidvalidity
        mailbox.last_uid = 0
    elif mailbox.uidvalidity != uidvalidity:
        raise_alert(
            mailbox,
            f"UIDVALIDITY of {mailbox.folder} changed from {mailbox.uidvalidity} to {uidvalidity}: "
            f"the folder was rescanned from the start (up to UID {mailbox.last_uid} had been stored); "
            "copies of messages already ingested were recognised as duplicates.",
        )
        mailbox.uidvalidity = uidvalidity
        mailbox.last_uid = 0
    db.session.flush()
    return mailbox.last_uid


def raise_alert(mailbox: Mailbox, text: str) -> None:
    log.warning("mailbox %s: ALERT %s", mailbox.name, text)
    mailbox.alert = text if not mailbox.alert else f"{mailbox.alert}\n{text}"
    mailbox.alert_at = utcnow()


def clear_alert(mailbox_id: int) -> None:
    mailbox = db.session.get(Mailbox, mailbox_id)
    mailbox.alert = None
    mailbox.alert_at = None
    db.session.flush()


def _header_block(raw: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(sep)
        if end >= 0:
            return raw[: end + len(sep)]
    return raw


def store_fetched(mailbox_id: int, uidvalidity: int, batch: list[FetchedMessage], last_uid: int) -> list[int]:
    """Store a fetched batch and advance the checkpoint to `last_uid`, in the caller's
    transaction: either both happen or neither. Returns the ids of rows that need a parse job.

    A message byte-identical to one already stored keeps no second copy of its bytes. The rows
    go in one statement (a second one for copies of messages earlier in the same batch)."""
    now = utcnow()
    digests = {m.uid: hashlib.sha256(m.raw).hexdigest() for m in batch if not m.oversize}
    known = first_copies(set(digests.values()))
    common = dict(mailbox_id=mailbox_id, uidvalidity=uidvalidity, attempts=0, received_at=now)
    rows, copies, first_in_batch = [], [], {}
    for m in batch:
        if m.oversize:
            header = _header_block(m.raw)
            rows.append(dict(
                common, uid=m.uid, raw=header, sha256=hashlib.sha256(header).hexdigest(), size=m.size,
                internaldate=m.internaldate, state=InboundState.oversize, enqueued_at=now, processed_at=now,
                error=f"larger than the limit ({m.size} bytes)", **_described_from_headers(header),
            ))
            continue
        sha = digests[m.uid]
        row = dict(common, uid=m.uid, raw=m.raw, sha256=sha, size=len(m.raw), internaldate=m.internaldate,
                   state=InboundState.stored, duplicate_of_id=known.get(sha))
        if sha in known:
            row["raw"] = None
            rows.append(row)
        elif sha in first_in_batch:
            row["raw"] = None
            copies.append(row)  # its original's id is known once the first statement ran
        else:
            first_in_batch[sha] = row
            rows.append(row)
    ids = _insert_inbound(rows)
    id_of = {row["uid"]: row_id for row, row_id in zip(rows, ids)}
    for copy in copies:
        copy["duplicate_of_id"] = id_of[first_in_batch[copy["sha256"]]["uid"]]
    ids += _insert_inbound(copies)
    db.session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox_id, Mailbox.last_uid < last_uid)
        .values(last_uid=last_uid)
    )
    return sorted(row_id for row, row_id in zip(rows + copies, ids) if row["state"] is InboundState.stored)


_INBOUND_COLUMNS = ("mailbox_id", "uidvalidity", "uid", "raw", "sha256", "size", "internaldate", "state",
                    "attempts", "received_at", "duplicate_of_id", "enqueued_at", "processed_at", "error",
                    "subject", "from_addr", "message_id")


def first_copies(digests: set[str]) -> dict[str, int]:
    """For each of these sha256 digests already stored in full, the id of the first row holding
    those bytes (an over-size row holds only headers: it is no copy of anything)."""
    if not digests:
        return {}
    return dict(db.session.execute(
        select(InboundMessage.sha256, func.min(InboundMessage.id))
        .where(InboundMessage.sha256.in_(digests), InboundMessage.raw.is_not(None),
               InboundMessage.state != InboundState.oversize)
        .group_by(InboundMessage.sha256)
    ).all())


def _insert_inbound(rows: list[dict]) -> list[int]:
    if not rows:
        return []
    rows = [{name: row.get(name) for name in _INBOUND_COLUMNS} for row in rows]  # one shape: one statement
    return list(db.session.scalars(
        insert(InboundMessage).returning(InboundMessage.id, sort_by_parameter_order=True), rows
    ))


def _described_from_headers(header: bytes) -> dict:
    """Subject, sender and Message-ID of a message we keep only the headers of."""
    try:
        parsed = parse_message(header)
    except MailParseError:
        return {}
    return dict(subject=_cut(parsed.subject, 300), from_addr=_cut(parsed.from_addr, 254),
                message_id=_cut(parsed.message_id, 998))


def store_imported(raw: bytes, *, acknowledge: bool = False) -> InboundMessage:
    """A message from `intake import` (mbox, Maildir, .eml): stored like fetched mail, without
    IMAP coordinates; the same pipeline then dedupes it against everything received."""
    sha = hashlib.sha256(raw).hexdigest()
    original = first_copies({sha}).get(sha)
    row = InboundMessage(
        raw=None if original else raw, duplicate_of_id=original, sha256=sha, size=len(raw),
        state=InboundState.stored, attempts=0, acknowledge=acknowledge, received_at=utcnow(),
        enqueued_at=utcnow(),  # processed in-process by the command, not by a worker
    )
    db.session.add(row)
    db.session.flush()
    return row


def record_poll(mailbox_id: int, error: str | None = None) -> None:
    values = {"last_poll_at": utcnow()}
    if error is not None:
        values.update(last_error=error[:2000], last_error_at=utcnow())
    db.session.execute(update(Mailbox).where(Mailbox.id == mailbox_id).values(**values))


def unmarked_messages(mailbox_id: int, uidvalidity: int, limit: int = 500) -> list[tuple[int, int]]:
    """(row id, uid) of messages safely in the database but not yet marked on the server."""
    return list(
        db.session.execute(
            select(InboundMessage.id, InboundMessage.uid)
            .where(
                InboundMessage.mailbox_id == mailbox_id,
                InboundMessage.uidvalidity == uidvalidity,
                InboundMessage.marked_at.is_(None),
                InboundMessage.state.in_(MARKABLE_STATES),
            )
            .order_by(InboundMessage.uid)
            .limit(limit)
        )
    )


def record_marked(row_ids: list[int]) -> None:
    if row_ids:
        db.session.execute(
            update(InboundMessage).where(InboundMessage.id.in_(row_ids)).values(marked_at=utcnow())
        )


# --- the outbox of parse jobs -------------------------------------------------------------------

def inbound_to_enqueue(requeue_before: datetime, limit: int = 500, *, after_id: int = 0) -> list[int]:
    """Stored messages whose parse job never reached Redis, or was enqueued so long ago that its
    worker must have died."""
    return list(
        db.session.scalars(
            select(InboundMessage.id)
            .where(
                InboundMessage.state == InboundState.stored,
                InboundMessage.id > after_id,
                or_(InboundMessage.enqueued_at.is_(None), InboundMessage.enqueued_at < requeue_before),
            )
            .order_by(InboundMessage.id)
            .limit(limit)
        )
    )


def mark_enqueued(row_ids: list[int]) -> None:
    db.session.execute(
        update(InboundMessage).where(InboundMessage.id.in_(row_ids)).values(enqueued_at=utcnow())
    )


# --- the parse job's side -----------------------------------------------------------------------

@dataclass
class IngestOutcome:
    state: InboundState | None
    item_id: int | None = None
    new_item: bool = False
    detail: str = ""


def start_attempt(inbound_id: int) -> bool:
    """Count one try of the parse job, before the try (a worker killed mid-way counts too).
    False when the message needs no more work."""
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.state == InboundState.stored)
        .values(attempts=InboundMessage.attempts + 1)
    )
    return result.rowcount == 1


def start_batch_attempt(inbound_ids: list[int]) -> bool:
    """Count one try for every still-stored message of a batch in one statement, when none of
    them was tried before. False (nothing counted) when one was: its batch failed or its worker
    died, so each message must be counted on its own (`start_attempt`) and a message that kills
    workers is not charged to its neighbours."""
    tried_before = db.session.scalar(
        select(InboundMessage.id)
        .where(InboundMessage.id.in_(inbound_ids), InboundMessage.state == InboundState.stored,
               InboundMessage.attempts > 0)
        .limit(1)
    )
    if tried_before is not None:
        return False
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id.in_(inbound_ids), InboundMessage.state == InboundState.stored)
        .values(attempts=InboundMessage.attempts + 1)
    )
    return True


def record_attempt_error(inbound_id: int, error: BaseException) -> None:
    db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.id == inbound_id)
        .values(error=f"{type(error).__name__}: {error}"[:4000])
    )


def _lock(inbound_ids: list[int]) -> list[InboundMessage]:
    """Load messages for update, in id order. The no-op UPDATE takes the row locks on
    PostgreSQL and the write lock on SQLite (whose driver only begins a transaction at a write:
    savepoints taken after this nest inside it instead of committing on release), so two
    workers on the same message take turns and the second sees what the first committed."""
    db.session.execute(
        update(InboundMessage).where(InboundMessage.id.in_(inbound_ids)).values(attempts=InboundMessage.attempts)
    )
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.id.in_(inbound_ids))
            .order_by(InboundMessage.id)
            .execution_options(populate_existing=True)
        )
    )


def ingest_batch(inbound_ids: list[int], *, tracking_prefix: str, max_attempts: int) -> tuple[list[IngestOutcome], list[tuple[int, Exception]]]:
    """Turn stored messages into feedback items, thread entries of existing items, duplicates
    of earlier messages or quarantine entries. Idempotent: a message already handled is left
    as it is.

    Every message is parsed first; what the batch needs from the database to tell the plain
    new reports from the rest (earlier copies, Message-IDs seen before, threads, tracking
    codes) is read in one query each. Plain new reports become items together, one statement
    per table (`feedback_services.submit_many`); any other message goes alone, in its own
    savepoint, after the new items before it are written, since it may refer to them.

    Returns the outcomes and the (message id, error) of messages that raised: their changes are
    rolled back, the rest stands for the caller to commit."""
    # Parsed before the rows are locked (on SQLite: the whole database), since parsing is most
    # of the work; a row another worker handled meanwhile is skipped once locked.
    parsed = {
        row_id: _parse_bytes(raw)
        for row_id, raw in db.session.execute(
            select(InboundMessage.id, InboundMessage.raw)
            .where(InboundMessage.id.in_(inbound_ids), InboundMessage.state == InboundState.stored,
                   # Past its tries it goes to quarantine unparsed: parsing it may be what kills
                   # the worker every time (the try is counted and committed before this).
                   InboundMessage.attempts <= max_attempts)
        )
    }
    rows = _lock(inbound_ids)
    parsed = {row.id: parsed[row.id] for row in rows
              if row.id in parsed and row.state is InboundState.stored and row.attempts <= max_attempts}
    seen = _Seen.load(rows, parsed, tracking_prefix)
    outcomes: list[IngestOutcome] = []
    errors: list[tuple[int, Exception]] = []
    plain: list[tuple[InboundMessage, ParsedMessage]] = []

    def create(messages: list[tuple[InboundMessage, ParsedMessage]]) -> None:
        with db.session.begin_nested():
            for row, message in messages:
                _describe_parsed(row, message)
            outcomes.extend(_create_items(messages, tracking_prefix))

    def write_plain() -> None:
        if not plain:
            return
        try:
            create(plain)
        except Exception as exc:  # noqa: BLE001 - one of them is bad: each on its own finds which
            if len(plain) == 1:
                failed(plain[0][0], exc)
            else:
                for one in plain:
                    try:
                        create([one])
                    except Exception as one_exc:  # noqa: BLE001
                        failed(one[0], one_exc)
        plain.clear()

    def failed(row: InboundMessage, exc: Exception) -> None:
        # Rolled back alone; the error is recorded on its row and raised by the caller.
        log.warning("inbound %s failed: %s: %s", row.id, type(exc).__name__, exc)
        errors.append((row.id, exc))

    for row in rows:
        message = parsed.get(row.id)
        if isinstance(message, ParsedMessage) and seen.is_plain(row, message):
            plain.append((row, message))
            continue
        write_plain()
        try:
            with db.session.begin_nested():
                outcomes.append(_ingest_one(row, message, tracking_prefix, max_attempts,
                                            failed_ids={row_id for row_id, _ in errors}))
        except Exception as exc:  # noqa: BLE001
            failed(row, exc)
    write_plain()
    for row_id, exc in errors:
        record_attempt_error(row_id, exc)
    return outcomes, errors


def _parse_bytes(raw: bytes | None) -> ParsedMessage | MailParseError:
    try:
        return parse_message(raw or b"")
    except MailParseError as exc:  # HostileMessage included
        return exc


@dataclass
class _Seen:
    """What the database already holds that a batch's messages may refer to, read in one query
    each, and what the batch itself has shown so far."""

    tracking_prefix: str
    earliest_copy: dict[str, int]  # sha256 -> id of the first stored row with those bytes
    message_ids: set[str]  # Message-IDs of messages already handled
    thread_ids: set[str]  # Message-IDs in threads (inbound and outbound)
    codes: set[str]  # tracking codes named in subjects that exist
    in_batch: set[str]  # Message-IDs of this batch's messages so far

    @classmethod
    def load(cls, rows: list[InboundMessage], parsed: dict, tracking_prefix: str) -> "_Seen":
        messages = [m for m in parsed.values() if isinstance(m, ParsedMessage)]
        message_ids = {_cut(m.message_id, 998) for m in messages if m.message_id}
        references = {r for m in messages for r in [m.in_reply_to, *m.references] if r}
        codes = {c for m in messages if (c := find_tracking_code(m.subject, tracking_prefix))}
        return cls(
            tracking_prefix=tracking_prefix,
            earliest_copy=first_copies({row.sha256 for row in rows}),
            message_ids=set(db.session.scalars(
                select(InboundMessage.message_id)
                .where(InboundMessage.message_id.in_(message_ids),
                       InboundMessage.state.in_((InboundState.parsed, InboundState.duplicate)))
            )) if message_ids else set(),
            thread_ids=set(db.session.scalars(
                select(ThreadEntry.message_id).where(ThreadEntry.message_id.in_(references))
            )) if references else set(),
            codes=set(db.session.scalars(
                select(FeedbackItem.tracking_code).where(FeedbackItem.tracking_code.in_(codes))
            )) if codes else set(),
            in_batch=set(),
        )

    def is_plain(self, row: InboundMessage, message: ParsedMessage) -> bool:
        """A new report that refers to nothing: no earlier copy, no known Message-ID, no thread
        it answers, no tracking code, no delivery report. Each call adds the message to those
        the batch has shown."""
        message_id = _cut(message.message_id, 998)
        references = {r for r in [message.in_reply_to, *message.references] if r}
        plain = (
            row.duplicate_of_id is None
            and self.earliest_copy.get(row.sha256, row.id) >= row.id
            and not message.bounce_recipients
            and (message_id is None or (message_id not in self.message_ids and message_id not in self.in_batch))
            and not references & (self.thread_ids | self.in_batch)
            and find_tracking_code(message.subject, self.tracking_prefix) not in self.codes
        )
        if message_id:
            self.in_batch.add(message_id)
        return plain


def _ingest_one(row: InboundMessage, message: ParsedMessage | MailParseError | None, tracking_prefix: str,
                max_attempts: int, failed_ids: set[int] = frozenset()) -> IngestOutcome:
    """One message that may refer to earlier ones (or be beyond its tries, or unparseable).
    `failed_ids`: messages of this batch that raised; a copy of one waits for its retry."""
    if row.state is not InboundState.stored:
        return IngestOutcome(row.state, row.item_id, detail="already handled")
    if row.attempts > max_attempts:
        quarantine_inbound(row, f"gave up after {row.attempts - 1} tries; last error: {row.error}")
        return IngestOutcome(row.state, detail="quarantined")
    original = _original_of(row)
    if original is not None:
        if original.id in failed_ids:
            raise OriginalFailed(f"its original, inbound {original.id}, failed in this batch")
        [original] = _lock([original.id])
        if original.state is InboundState.stored:
            _ingest_parsed(original, _parse_bytes(original.raw), tracking_prefix)
        _mark_duplicate(row, original)
        return IngestOutcome(row.state, row.item_id, detail="same bytes as an earlier message")
    if message is None:  # stored again (a replay) since the batch was read
        message = _parse_bytes(row.raw)
    return _ingest_parsed(row, message, tracking_prefix)


class OriginalFailed(RuntimeError):
    """A copy is handled with its original, which raised in the same batch: both are retried."""


def _original_of(row: InboundMessage) -> InboundMessage | None:
    if row.duplicate_of_id is not None:
        return db.session.get(InboundMessage, row.duplicate_of_id)
    return db.session.scalar(
        select(InboundMessage)
        .where(
            InboundMessage.sha256 == row.sha256,
            InboundMessage.id < row.id,
            InboundMessage.raw.is_not(None),
            InboundMessage.state != InboundState.oversize,
        )
        .order_by(InboundMessage.id)
        .limit(1)
    )


def _mark_duplicate(row: InboundMessage, original: InboundMessage) -> None:
    row.state = InboundState.duplicate
    row.duplicate_of_id = original.id
    row.item_id = original.item_id
    for name in ("message_id", "subject", "from_addr", "is_auto", "auto_reason", "charset", "lossy", "content_sha256"):
        setattr(row, name, getattr(original, name))
    row.processed_at = utcnow()
    row.error = None
    log.info("inbound %s is a duplicate of %s", row.id, original.id)
    db.session.flush()


def content_digest(parsed: ParsedMessage) -> str:
    """What the sender wrote, without transport headers: the same message relayed twice with
    different Received lines has the same digest."""
    digest = hashlib.sha256()
    for part in (parsed.from_addr or "", parsed.subject or "", parsed.text or "", parsed.html or ""):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    for attachment in sorted(hashlib.sha256(a.payload).hexdigest() for a in parsed.attachments):
        digest.update(attachment.encode())
    return digest.hexdigest()


def _describe_parsed(row: InboundMessage, parsed: ParsedMessage) -> None:
    """What the parse found, on the message's row (lists and dedupe read it there)."""
    row.message_id = _cut(parsed.message_id, 998)
    row.subject = _cut(parsed.subject, 300)
    row.from_addr = _cut(parsed.from_addr.lower() if parsed.from_addr else None, 254)
    row.is_auto = parsed.is_auto
    row.auto_reason = _cut(parsed.auto_reason, 32)
    row.charset = _cut(parsed.charset, 32)
    row.lossy = parsed.lossy
    row.content_sha256 = content_digest(parsed)


def _ingest_parsed(row: InboundMessage, parsed: ParsedMessage | MailParseError, tracking_prefix: str) -> IngestOutcome:
    if isinstance(parsed, HostileMessage):
        quarantine_inbound(row, f"hostile message: {parsed}")
        return IngestOutcome(row.state, detail="quarantined")
    if isinstance(parsed, MailParseError):
        quarantine_inbound(row, f"cannot be parsed: {parsed}")
        return IngestOutcome(row.state, detail="quarantined")

    _describe_parsed(row, parsed)
    for address in parsed.bounce_recipients:
        mark_bouncing(address, row.id)

    if row.message_id:
        earlier = list(
            db.session.scalars(
                select(InboundMessage)
                .where(
                    InboundMessage.message_id == row.message_id,
                    InboundMessage.id != row.id,
                    InboundMessage.state.in_((InboundState.parsed, InboundState.duplicate)),
                )
                .order_by(InboundMessage.id)
            )
        )
        for other in earlier:
            if other.content_sha256 == row.content_sha256:
                _mark_duplicate(row, other)
                return IngestOutcome(row.state, row.item_id, detail="same Message-ID and content")
        if earlier:
            # Same Message-ID, different content: a broken mailer or a forgery. Keep both.
            row.message_id_conflict = True
            for other in earlier:
                other.message_id_conflict = True

    item = find_thread_item(parsed, tracking_prefix)
    if item is None:
        [outcome] = _create_items([(row, parsed)], tracking_prefix)
        return outcome
    new_text, quoted = split_reply(parsed.text)
    # Photos a reporter sends later in the thread belong to the item like the first ones.
    added = feedback_services.add_attachments(item.id, _uploads_from(parsed))
    note = f"mail received in the thread: {row.message_id or row.id}"
    item.events.append(Event(kind=EventKind.note, note=f"{note} ({added} attachment(s))" if added else note))
    db.session.add(ThreadEntry(**_thread_entry(row, parsed, item.id, new_text, quoted)))
    if row.message_id_conflict:
        item.events.append(
            Event(kind=EventKind.note, note=f"Message-ID {row.message_id} reused with different content")
        )
    _mark_parsed(row, item.id)
    db.session.flush()
    return IngestOutcome(row.state, item.id, detail="joined its thread")


def _create_items(messages: list[tuple[InboundMessage, ParsedMessage]], tracking_prefix: str) -> list[IngestOutcome]:
    """New items from parsed messages (their rows described), with their first thread entries."""
    item_ids = feedback_services.submit_many(
        [submission_from(parsed) for _, parsed in messages], tracking_prefix=tracking_prefix
    )
    entries = []
    conflicts = []
    for (row, parsed), item_id in zip(messages, item_ids):
        new_text, quoted = split_reply(parsed.text)
        entries.append(_thread_entry(row, parsed, item_id, new_text, quoted))
        if row.message_id_conflict:
            conflicts.append(dict(item_id=item_id, kind=EventKind.note,
                                  note=f"Message-ID {row.message_id} reused with different content"))
        _mark_parsed(row, item_id)
    db.session.execute(insert(ThreadEntry), entries)
    if conflicts:
        db.session.execute(insert(Event), conflicts)
    db.session.flush()
    return [
        IngestOutcome(row.state, item_id, new_item=True, detail="new item")
        for (row, _), item_id in zip(messages, item_ids)
    ]


def _thread_entry(row: InboundMessage, parsed: ParsedMessage, item_id: int, new_text: str, quoted: str) -> dict:
    return dict(
        item_id=item_id, direction=Direction.inbound, inbound_message_id=row.id,
        message_id=row.message_id, sender=row.from_addr, subject=row.subject,
        text=new_text or "", quoted_text=quoted or None, html=parsed.html, is_auto=parsed.is_auto,
        created_at=utcnow(),
    )


def _mark_parsed(row: InboundMessage, item_id: int) -> None:
    row.state = InboundState.parsed
    row.item_id = item_id
    row.processed_at = utcnow()
    row.error = None


def submission_from(parsed: ParsedMessage) -> feedback_services.SubmissionInput:
    subject = strip_subject_prefixes(parsed.subject).strip()
    body = parsed.text.strip() or subject or NO_SUBJECT
    reporter = None
    if parsed.from_addr:
        reporter = feedback_services.ReporterInput(
            name=_cut(parsed.from_name, 100), email=_cut(parsed.from_addr, 254)
        )
    return feedback_services.SubmissionInput(
        source=Source.email,
        subject=_cut(subject, 300) or None,
        body=body,
        reporter=reporter,
        uploads=_uploads_from(parsed),
        is_auto=parsed.is_auto,
    )


def _uploads_from(parsed: ParsedMessage) -> list[feedback_services.UploadInput]:
    return [
        feedback_services.UploadInput(
            filename=_cut(a.filename, 255) or "attachment",
            content_type=_cut(a.content_type, 127) or "application/octet-stream",
            stream=io.BytesIO(a.payload),
            is_inline=a.is_inline,
            content_id=_cut(a.content_id, 998),
        )
        for a in parsed.attachments
    ]


def find_thread_item(parsed: ParsedMessage, tracking_prefix: str) -> FeedbackItem | None:
    """The item a reply belongs to: by In-Reply-To / References against every stored inbound
    and outbound Message-ID (most recent reference first), then by the tracking code in the
    subject."""
    references = [r for r in ([parsed.in_reply_to] + list(reversed(parsed.references))) if r]
    if references:
        found = db.session.execute(
            select(ThreadEntry.message_id, ThreadEntry.item_id).where(ThreadEntry.message_id.in_(references))
        ).all()
        by_id = {message_id: item_id for message_id, item_id in found}
        for reference in references:
            if reference in by_id:
                return db.session.get(FeedbackItem, by_id[reference])
    code = find_tracking_code(parsed.subject, tracking_prefix)
    if code:
        return db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == code))
    return None


def quarantine_inbound(row: InboundMessage, reason: str) -> None:
    """Set a message aside with its raw bytes and the reason; later messages go on."""
    log.warning("inbound %s quarantined: %s", row.id, reason)
    row.state = InboundState.quarantined
    row.error = reason[:4000]
    row.processed_at = utcnow()
    db.session.flush()


class ReplayError(ValueError):
    """Only a quarantined message with its bytes can be replayed."""


def replay_inbound(inbound_id: int, *, actor_id: int | None = None) -> InboundMessage:
    """Send a quarantined message through the pipeline again (e.g. after a fix)."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.quarantined:
        raise ReplayError("not quarantined")
    log.info("inbound %s replayed by user %s (was: %s)", row.id, actor_id, row.error)
    _back_to_pipeline(row)
    return row


def store_refetched(inbound_id: int, raw: bytes) -> InboundMessage:
    """An over-size message fetched anew at staff's request: its whole bytes replace the
    headers, and it goes through the pipeline like fresh mail."""
    row = db.session.get(InboundMessage, inbound_id)
    if row is None or row.state is not InboundState.oversize:
        raise ReplayError("not over-size")
    log.info("inbound %s fetched anew (%d bytes)", row.id, len(raw))
    row.raw = raw
    row.sha256 = hashlib.sha256(raw).hexdigest()
    row.size = len(raw)
    _back_to_pipeline(row)
    return row


def _back_to_pipeline(row: InboundMessage) -> None:
    """Reset a stored message so the sweeper enqueues it like fresh mail, with fresh tries."""
    row.state = InboundState.stored
    row.attempts = 0
    row.error = None
    row.enqueued_at = None
    row.processed_at = None
    db.session.flush()


def record_refetch_failure(inbound_id: int, reason: str) -> None:
    """Why an over-size message could not be fetched anew; it stays over-size."""
    db.session.execute(update(InboundMessage).where(InboundMessage.id == inbound_id).values(error=reason[:4000]))


# --- bounces and the thread of outgoing mail --------------------------------------------------

def mark_bouncing(address: str, inbound_id: int | None = None) -> None:
    address = address.strip().lower()[:254]
    if not address:
        return
    entry = db.session.scalar(select(BouncingAddress).where(BouncingAddress.address == address))
    if entry is None:
        db.session.add(BouncingAddress(address=address, bounces=1, last_inbound_id=inbound_id))
    else:
        entry.bounces += 1
        entry.last_bounced_at = utcnow()
        entry.last_inbound_id = inbound_id
    db.session.flush()


def is_bouncing(address: str | None) -> bool:
    if not address:
        return False
    return db.session.scalar(
        select(BouncingAddress.id).where(BouncingAddress.address == address.strip().lower())
    ) is not None


def asked_for_receipt(item_id: int) -> bool:
    """Whether the mail an item was made from may be acknowledged (imported mail may not,
    unless the import asked for it)."""
    first = db.session.scalar(
        select(InboundMessage.acknowledge)
        .where(InboundMessage.item_id == item_id, InboundMessage.state == InboundState.parsed)
        .order_by(InboundMessage.id)
        .limit(1)
    )
    return first is not False


def thread_headers(item: FeedbackItem) -> tuple[str | None, list[str]]:
    """In-Reply-To and References for a mail we send about `item`, so the reporter's mailer
    threads it and their answer comes back to the same item."""
    ids = list(
        db.session.scalars(
            select(ThreadEntry.message_id)
            .where(ThreadEntry.item_id == item.id, ThreadEntry.message_id.is_not(None))
            .order_by(ThreadEntry.id)
        )
    )
    if not ids:
        return None, []
    return ids[-1], ids[-20:]


def record_outbound(item: FeedbackItem, message: EmailMessage) -> ThreadEntry:
    """Keep a mail we sent in the item's thread, with its Message-ID, so replies find the item."""
    message_id = (message.get("Message-ID") or "").strip().strip("<>") or None
    body = message.get_body(("plain",))
    entry = ThreadEntry(
        item_id=item.id,
        direction=Direction.outbound,
        message_id=_cut(message_id, 998),
        sender=_cut(parseaddr(str(message.get("From", "")))[1], 254),
        subject=_cut(str(message.get("Subject", "")), 300),
        text=body.get_content() if body is not None else "",
        is_auto=True,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# --- reading, for staff ------------------------------------------------------------------------

def state_counts() -> dict[InboundState, int]:
    counts = dict(
        db.session.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all()
    )
    return {state: counts.get(state, 0) for state in InboundState}


def set_aside(states=(InboundState.quarantined, InboundState.oversize), limit: int = 200) -> list[InboundMessage]:
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.state.in_(states))
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        )
    )


def item_of_message(message_id: str) -> FeedbackItem | None:
    """The item a received message (by its Message-ID) became or joined, once it has."""
    return db.session.scalar(
        select(FeedbackItem)
        .join(InboundMessage, InboundMessage.item_id == FeedbackItem.id)
        .where(InboundMessage.message_id == message_id)
        .limit(1)
    )


def alerts() -> list[Mailbox]:
    return list(db.session.scalars(select(Mailbox).where(Mailbox.alert.is_not(None)).order_by(Mailbox.id)))


def requeue_cutoff(seconds: int) -> datetime:
    return utcnow() - timedelta(seconds=seconds)
