"""The mailbox side of intake: the IMAP mailboxes we watch, every message received from them
(raw bytes first), the mail thread of each feedback item, and addresses that bounce."""

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from intake.core.models import enum_column
from intake.extensions import db
from intake.feedback.models import SUBJECT_LENGTH, FeedbackItem
from intake.timeutil import utcnow

DEFAULT_MAILBOX = "default"


class Mailbox(db.Model):
    """One IMAP folder we ingest, with its checkpoint (UIDVALIDITY and the last UID stored).

    The default mailbox mirrors the IMAP_* settings; others are rows whose password is read from
    the environment variable they name, so no password is ever stored in the database."""

    __tablename__ = "mailboxes"
    __table_args__ = (
        CheckConstraint("port > 0 AND port < 65536", name="port_range"),
        CheckConstraint("last_uid >= 0", name="last_uid_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=993)
    use_ssl: Mapped[bool] = mapped_column(Boolean, default=True)
    use_starttls: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str] = mapped_column(String(255))
    # Name of the environment variable holding the password (NULL: IMAP_PASSWORD).
    password_env: Mapped[str | None] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(String(255), default="INBOX")
    processed_folder: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    # Checkpoint: everything up to last_uid under this uidvalidity is stored in inbound_messages.
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    last_poll_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # Something an operator must look at (e.g. UIDVALIDITY changed); cleared by hand.
    alert: Mapped[str | None] = mapped_column(Text)
    alert_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Mailbox {self.name} {self.username}@{self.host}/{self.folder}>"


class InboundState(enum.Enum):
    stored = "stored"  # raw bytes safe in the database, parse job pending
    parsed = "parsed"  # became an item or joined one (item_id set)
    quarantined = "quarantined"  # could not be turned into an item; raw kept with the reason
    oversize = "oversize"  # over MAX_MESSAGE_MB: headers and size only
    duplicate = "duplicate"  # the same message was already ingested (item_id of the first)

    @property
    def label(self) -> str:
        return str(INBOUND_STATE_LABELS[self])


INBOUND_STATE_LABELS = {
    InboundState.stored: _l("Waiting to be processed"),
    InboundState.parsed: _l("Processed"),
    InboundState.quarantined: _l("Quarantined"),
    InboundState.oversize: _l("Too large"),
    InboundState.duplicate: _l("Duplicate"),
}

# States after which the message may be marked on the server: it is in the database for good
# (an over-size message as its headers and size; staff can have it fetched anew).
MARKABLE_STATES = (InboundState.parsed, InboundState.duplicate, InboundState.quarantined, InboundState.oversize)


class InboundMessage(db.Model):
    """One message as received, stored before anything else happens to it."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        # The IMAP coordinates: a message is fetched into one row only.
        UniqueConstraint("mailbox_id", "uidvalidity", "uid", name="uq_inbound_messages_imap"),
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_inbound_messages_state", "state", "enqueued_at"),
        # What the watcher must still mark on the server: only the rows waiting, however large
        # the mailbox.
        Index(
            "ix_inbound_messages_to_mark",
            "mailbox_id",
            "uidvalidity",
            "uid",
            postgresql_where=text("marked_at IS NULL"),
            sqlite_where=text("marked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL for messages brought in by `intake import`.
    mailbox_id: Mapped[int | None] = mapped_column(ForeignKey("mailboxes.id"))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    # The bytes as the server gave them (headers only when oversize; NULL when a byte-identical
    # copy is stored already, see duplicate_of_id). Deferred: lists never load megabytes.
    raw: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    internaldate: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    state: Mapped[InboundState] = mapped_column(enum_column(InboundState, "inbound_state"), default=InboundState.stored)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("feedback_items.id", ondelete="SET NULL"), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # Same Message-ID as an earlier message but different content: both kept, staff told.
    message_id_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    # A hash of what the sender wrote (sender, subject, text, attachments), to recognise the
    # same message delivered twice with different transport headers.
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_LENGTH))
    from_addr: Mapped[str | None] = mapped_column(String(254))
    is_auto: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_reason: Mapped[str | None] = mapped_column(String(32))
    charset: Mapped[str | None] = mapped_column(String(32))
    lossy: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the parse job may send an acknowledgement (imports do not, unless asked).
    acknowledge: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Outbox marker: the parse job is in Redis. NULL rows are enqueued by the sweeper.
    enqueued_at: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    # When the message was flagged (or moved) on the IMAP server, after its item was committed.
    marked_at: Mapped[datetime | None]

    mailbox: Mapped[Mailbox | None] = relationship()
    item: Mapped[FeedbackItem | None] = relationship()
    duplicate_of: Mapped["InboundMessage | None"] = relationship(remote_side=[id])

    @property
    def headers_text(self) -> str:
        """The header block, for staff to read (undecoded 8-bit bytes shown as replacements)."""
        raw = self.raw or b""
        end = raw.find(b"\r\n\r\n")
        if end < 0:
            end = raw.find(b"\n\n")
        block = raw if end < 0 else raw[:end]
        return block.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"<InboundMessage {self.id} {self.state.value} uid={self.uid}>"


class Direction(enum.Enum):
    inbound = "inbound"
    outbound = "outbound"


class ThreadEntry(db.Model):
    """One mail in an item's thread, in or out. Replies find their item through the Message-IDs
    stored here (In-Reply-To / References) or through the tracking code in the subject."""

    __tablename__ = "thread_entries"
    __table_args__ = (Index("ix_thread_entries_item", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("feedback_items.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "direction"))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    sender: Mapped[str | None] = mapped_column(String(254))
    # The mail's own subject as received (the item's title drops Re:/Fw: and may be the body's
    # first line); for outbound mail, the subject sent.
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_LENGTH))
    text: Mapped[str] = mapped_column(Text, default="")
    quoted_text: Mapped[str | None] = mapped_column(Text)
    # Sanitized by the decoder (no scripts, handlers or remote images); safe to display.
    html: Mapped[str | None] = mapped_column(Text)
    is_auto: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[FeedbackItem] = relationship()
    inbound_message: Mapped[InboundMessage | None] = relationship()


class BouncingAddress(db.Model):
    """An address a delivery report said cannot receive mail: no more receipts to it."""

    __tablename__ = "bouncing_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(254), unique=True)
    bounces: Mapped[int] = mapped_column(Integer, default=1)
    first_bounced_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_bounced_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"))
