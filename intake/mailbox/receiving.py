"""The watcher's side of the mailbox: the UID checkpoint and its alerts, raw storage of fetched and
imported mail (identical bytes kept once), and marking stored mail on the server."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update

from intake.extensions import db
from intake.feedback.models import SUBJECT_LENGTH
from intake.mailbox.decoding.parsed import MailParseError
from intake.mailbox.decoding.parsing import parse_message
from intake.mailbox.models import MARKABLE_STATES, InboundMessage, InboundState, Mailbox
from intake.mailbox.services import _cut
from intake.timeutil import utcnow

log = logging.getLogger(__name__)


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


def store_fetched(mailbox_id: int, uidvalidity: int, batch: list[FetchedMessage], last_uid: int | None) -> list[int]:
    """Store a fetched batch and advance the checkpoint to `last_uid` (None: leave it), in the
    caller's transaction: either both happen or neither. Returns the ids of rows that need a
    parse job.

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
            rows.append(
                dict(
                    common,
                    uid=m.uid,
                    raw=header,
                    sha256=hashlib.sha256(header).hexdigest(),
                    size=m.size,
                    internaldate=m.internaldate,
                    state=InboundState.oversize,
                    enqueued_at=now,
                    processed_at=now,
                    error=f"larger than the limit ({m.size} bytes)",
                    **_described_from_headers(header),
                )
            )
            continue
        sha = digests[m.uid]
        row = dict(
            common,
            uid=m.uid,
            raw=m.raw,
            sha256=sha,
            size=len(m.raw),
            internaldate=m.internaldate,
            state=InboundState.stored,
            duplicate_of_id=known.get(sha),
        )
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
    if last_uid is not None:
        db.session.execute(
            update(Mailbox).where(Mailbox.id == mailbox_id, Mailbox.last_uid < last_uid).values(last_uid=last_uid)
        )
    return sorted(row_id for row, row_id in zip(rows + copies, ids) if row["state"] is InboundState.stored)


_INBOUND_COLUMNS = (
    "mailbox_id",
    "uidvalidity",
    "uid",
    "raw",
    "sha256",
    "size",
    "internaldate",
    "state",
    "attempts",
    "received_at",
    "duplicate_of_id",
    "enqueued_at",
    "processed_at",
    "error",
    "subject",
    "from_addr",
    "message_id",
)


def stored_uids(mailbox_id: int, uidvalidity: int, uids: list[int]) -> set[int]:
    """Which of these UIDs already have a row: mail stored ahead of the checkpoint (see
    `MailboxSession._store_arrivals`), by this session or by one that died before the
    checkpoint passed it."""
    if not uids:
        return set()
    return set(
        db.session.scalars(
            select(InboundMessage.uid).where(
                InboundMessage.mailbox_id == mailbox_id,
                InboundMessage.uidvalidity == uidvalidity,
                InboundMessage.uid.in_(uids),
            )
        )
    )


def first_copies(digests: set[str]) -> dict[str, int]:
    """For each of these sha256 digests already stored in full, the id of the first row holding
    those bytes (an over-size row holds only headers: it is no copy of anything)."""
    if not digests:
        return {}
    return dict(
        db.session.execute(
            select(InboundMessage.sha256, func.min(InboundMessage.id))
            .where(
                InboundMessage.sha256.in_(digests),
                InboundMessage.raw.is_not(None),
                InboundMessage.state != InboundState.oversize,
            )
            .group_by(InboundMessage.sha256)
        ).all()
    )


def _insert_inbound(rows: list[dict]) -> list[int]:
    if not rows:
        return []
    rows = [{name: row.get(name) for name in _INBOUND_COLUMNS} for row in rows]  # one shape: one statement
    return list(
        db.session.scalars(insert(InboundMessage).returning(InboundMessage.id, sort_by_parameter_order=True), rows)
    )


def _described_from_headers(header: bytes) -> dict:
    """Subject, sender and Message-ID of a message we keep only the headers of."""
    try:
        parsed = parse_message(header)
    except MailParseError:
        return {}
    return dict(
        subject=_cut(parsed.subject, SUBJECT_LENGTH),
        from_addr=_cut(parsed.from_addr, 254),
        message_id=_cut(parsed.message_id, 998),
    )


def store_imported(raw: bytes, *, acknowledge: bool = False) -> InboundMessage:
    """A message from `intake import` (mbox, Maildir, .eml): stored like fetched mail, without
    IMAP coordinates; the same pipeline then dedupes it against everything received."""
    sha = hashlib.sha256(raw).hexdigest()
    original = first_copies({sha}).get(sha)
    row = InboundMessage(
        raw=None if original else raw,
        duplicate_of_id=original,
        sha256=sha,
        size=len(raw),
        state=InboundState.stored,
        attempts=0,
        acknowledge=acknowledge,
        received_at=utcnow(),
        enqueued_at=utcnow(),  # processed in-process by the command, not by a worker
    )
    db.session.add(row)
    db.session.flush()
    return row


def record_poll(mailbox_id: int, error: str | None = None) -> None:
    """A successful pass (last_poll_at, the watcher's heartbeat that /readyz reads) or a failed
    one (last_error, last_error_at: last_poll_at keeps the last success)."""
    if error is None:
        values = {"last_poll_at": utcnow()}
    else:
        values = {"last_error": error[:2000], "last_error_at": utcnow()}
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
        db.session.execute(update(InboundMessage).where(InboundMessage.id.in_(row_ids)).values(marked_at=utcnow()))
