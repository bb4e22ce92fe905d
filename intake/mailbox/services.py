"""Write operations of the mailbox: the mailboxes and their settings, the outbox of parse jobs, and
what staff read. Beside this module: `receiving` (the watcher's checkpoint and raw storage),
`ingest` (the parse job), `items` (what a parsed message becomes), `quarantine` (mail set aside
and replayed) and `outgoing` (bounces and the thread of the mail we send).

Services take plain values and ids, flush, and leave the commit to the caller (job, watcher,
command or request)."""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.models import DEFAULT_MAILBOX, InboundMessage, InboundState, Mailbox
from intake.timeutil import utcnow


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
        name=name,
        host=host,
        port=port,
        username=username,
        password_env=password_env,
        use_ssl=use_ssl,
        use_starttls=use_starttls,
        folder=folder,
        processed_folder=processed_folder or None,
        is_active=True,
        last_uid=0,
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
        host=mailbox.host,
        port=mailbox.port,
        ssl=mailbox.use_ssl,
        starttls=mailbox.use_starttls,
        username=mailbox.username,
        password=password,
        folder=mailbox.folder,
        processed_folder=mailbox.processed_folder,
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
    db.session.execute(update(InboundMessage).where(InboundMessage.id.in_(row_ids)).values(enqueued_at=utcnow()))


# --- reading, for staff ------------------------------------------------------------------------


def state_counts() -> dict[InboundState, int]:
    counts = dict(db.session.execute(select(InboundMessage.state, func.count()).group_by(InboundMessage.state)).all())
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
