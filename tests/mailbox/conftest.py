"""Mailbox fixtures: a real Dovecot (one per session, a fresh user per test), APPEND, and an app
whose default mailbox is that user's INBOX. Jobs run in a real rq worker on the private Redis."""

import itertools
import uuid

import pytest
from imapclient import IMAPClient

from intake.extensions import db
from tests import servers

_users = itertools.count(1)


ACCOUNTS = 300
PASSWORD = uuid.uuid4().hex


@pytest.fixture(scope="session")
def dovecot(workdir):
    # Users are written before Dovecot starts: it re-reads a changed passwd-file only when the
    # change is visible in mtime/size, which a test within the same second may not make.
    (workdir / "dovecot").mkdir(parents=True, exist_ok=True)
    with open(workdir / "dovecot" / "users", "w") as f:
        for n in range(ACCOUNTS):
            f.write(f"jiandu{n}:{{PLAIN}}{PASSWORD}:8:8::{workdir / 'dovecot' / 'mail' / f'jiandu{n}'}::\n")
    try:
        server = servers.start_dovecot(workdir / "dovecot")
    except servers.ServerUnavailable as exc:
        servers.fail("dovecot", str(exc))
    yield server
    server.stop()


@pytest.fixture
def imap_account(dovecot):
    """A fresh mail user, so every test starts with an empty INBOX."""
    return {"host": "127.0.0.1", "port": dovecot.port, "user": f"jiandu{next(_users)}", "password": PASSWORD}


def imap_client(account) -> IMAPClient:
    client = IMAPClient(account["host"], port=account["port"], ssl=False, timeout=30)
    client.login(account["user"], account["password"])
    return client


@pytest.fixture
def imap(imap_account):
    """A separate IMAP session, as a mail server delivering and a person looking would use."""
    client = imap_client(imap_account)
    yield client
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - e.g. the test restarted Dovecot
        pass


@pytest.fixture
def imap_append(imap):
    def append(raw: bytes, folder: str = "INBOX", flags=()) -> None:
        imap.append(folder, raw, flags=flags)

    return append


@pytest.fixture
def mail_app(app, imap_account):
    """The app with its default mailbox pointed at the test user's INBOX."""
    app.config.update(
        IMAP_HOST=imap_account["host"],
        IMAP_PORT=imap_account["port"],
        IMAP_SSL=False,
        IMAP_STARTTLS=False,
        IMAP_USER=imap_account["user"],
        IMAP_PASSWORD=imap_account["password"],
        IMAP_FOLDER="INBOX",
        IMAP_PROCESSED_FOLDER="",
        IMAP_POLL_SECONDS=1,
        IMAP_TIMEOUT_SECONDS=20,
    )
    with app.app_context():
        from intake.mailbox.services import ensure_default_mailbox

        app.config["TEST_MAILBOX_ID"] = ensure_default_mailbox(app.config).id
        db.session.commit()
    return app


@pytest.fixture
def mailbox_id(mail_app):
    return mail_app.config["TEST_MAILBOX_ID"]


def drain(app) -> None:
    """Run every queued job in a real rq worker (burst mode, in this process)."""
    from workers.worker import build_worker

    build_worker(app).work(burst=True)


def poll(app, mailbox_id: int) -> int:
    from workers.watcher import poll_once

    return poll_once(app, mailbox_id)


def ingest(app, mailbox_id: int) -> int:
    """Poll, run the parse jobs and their follow-ups, poll again (which marks the messages)."""
    stored = poll(app, mailbox_id)
    drain(app)
    poll(app, mailbox_id)
    return stored


def flags_by_uid(client: IMAPClient, folder: str = "INBOX") -> dict[int, tuple]:
    client.select_folder(folder, readonly=True)
    uids = client.search(["ALL"])
    return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}
