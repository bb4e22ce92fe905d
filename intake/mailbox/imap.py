"""The IMAP client of the supervision mailbox: a logged-in session, and one message fetched
anew by staff's request. The watcher's pass over a folder is `session.py`."""

import ssl

from flask import Flask
from imapclient import IMAPClient

from intake.extensions import db
from intake.mailbox import services


def open_client(s: services.ImapSettings, timeout: float) -> IMAPClient:
    """A logged-in IMAP session (TLS or STARTTLS as configured), no folder selected."""
    from imapclient import SocketTimeout

    context = ssl.create_default_context() if (s.ssl or s.starttls) else None
    client = IMAPClient(
        s.host,
        port=s.port,
        ssl=s.ssl,
        ssl_context=context if s.ssl else None,
        timeout=SocketTimeout(connect=15, read=timeout),
    )
    try:
        client.normalise_times = False
        if s.starttls:
            client.starttls(context)
        client.login(s.username, s.password)
    except BaseException:
        close_quietly(client)
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
        close_quietly(client)


def close_quietly(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection is being thrown away
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass
