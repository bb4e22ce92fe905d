"""The parse job's side of the mailbox: each try counted before it is made, then a batch of stored
messages turned into new items, thread entries, duplicates or quarantine entries."""

import logging
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Event, EventKind, FeedbackItem
from intake.mailbox.decoding.parsed import HostileMessage, MailParseError, ParsedMessage
from intake.mailbox.decoding.parsing import parse_message
from intake.mailbox.items import (
    _describe_parsed,
    _mark_parsed,
    _thread_entry,
    _uploads_from,
    find_thread_item,
    submission_from,
)
from intake.mailbox.models import InboundMessage, InboundState, ThreadEntry
from intake.mailbox.quarantine import quarantine_inbound
from intake.mailbox.receiving import first_copies
from intake.mailbox.replies import find_tracking_code, split_reply
from intake.mailbox.services import _cut
from intake.mailbox.threads import mark_bouncing
from intake.timeutil import utcnow

log = logging.getLogger(__name__)


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
        .where(
            InboundMessage.id.in_(inbound_ids), InboundMessage.state == InboundState.stored, InboundMessage.attempts > 0
        )
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


def ingest_batch(
    inbound_ids: list[int], *, tracking_prefix: str, max_attempts: int
) -> tuple[list[IngestOutcome], list[tuple[int, Exception]]]:
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
            select(InboundMessage.id, InboundMessage.raw).where(
                InboundMessage.id.in_(inbound_ids),
                InboundMessage.state == InboundState.stored,
                # Past its tries it goes to quarantine unparsed: parsing it may be what kills
                # the worker every time (the try is counted and committed before this).
                InboundMessage.attempts <= max_attempts,
            )
        )
    }
    rows = _lock(inbound_ids)
    parsed = {
        row.id: parsed[row.id]
        for row in rows
        if row.id in parsed and row.state is InboundState.stored and row.attempts <= max_attempts
    }
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
                outcomes.append(
                    _ingest_one(
                        row, message, tracking_prefix, max_attempts, failed_ids={row_id for row_id, _ in errors}
                    )
                )
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


def _handled_message_ids(message_ids: set[str]) -> set[str]:
    """Those of these Message-IDs whose messages were handled (parsed, duplicate). The state is
    checked here, not in SQL: given `state IN (...)` too, SQLite (no statistics) searched the
    state index, i.e. every message parsed so far, reading each row (raw mail included), so a
    batch cost more the larger the mailbox (tests/mailbox/test_query_plans.py)."""
    if not message_ids:
        return set()
    handled = (InboundState.parsed, InboundState.duplicate)
    rows = db.session.execute(
        select(InboundMessage.message_id, InboundMessage.state).where(InboundMessage.message_id.in_(message_ids))
    )
    return {message_id for message_id, state in rows if state in handled}


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
            message_ids=_handled_message_ids(message_ids),
            thread_ids=set(
                db.session.scalars(select(ThreadEntry.message_id).where(ThreadEntry.message_id.in_(references)))
            )
            if references
            else set(),
            codes=set(
                db.session.scalars(select(FeedbackItem.tracking_code).where(FeedbackItem.tracking_code.in_(codes)))
            )
            if codes
            else set(),
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


def _ingest_one(
    row: InboundMessage,
    message: ParsedMessage | MailParseError | None,
    tracking_prefix: str,
    max_attempts: int,
    failed_ids: set[int] = frozenset(),
) -> IngestOutcome:
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
            conflicts.append(
                dict(
                    item_id=item_id,
                    kind=EventKind.note,
                    note=f"Message-ID {row.message_id} reused with different content",
                )
            )
        _mark_parsed(row, item_id)
    db.session.execute(insert(ThreadEntry), entries)
    if conflicts:
        db.session.execute(insert(Event), conflicts)
    db.session.flush()
    return [
        IngestOutcome(row.state, item_id, new_item=True, detail="new item")
        for (row, _), item_id in zip(messages, item_ids)
    ]
