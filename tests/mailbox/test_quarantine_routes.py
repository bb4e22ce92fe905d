"""The staff quarantine pages: who may see them, what they show, replay with CSRF."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.models import InboundMessage, InboundState
from tests.conftest import csrf_token_from
from tests.mailbox.conftest import drain
from tests.mailbox.test_ingest import MAIL


def _store(
    app,
    raw: bytes,
    state=InboundState.quarantined,
    error="hostile message: MIME nesting deeper than 20",
    sender="bomb@example.cn",
) -> int:
    import hashlib

    with app.app_context():
        row = InboundMessage(
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw),
            state=state,
            error=error,
            subject="nesting",
            from_addr=sender,
            attempts=1,
        )
        db.session.add(row)
        db.session.commit()
        return row.id


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [(None, 302), ("member", 403), ("liaison", 403), ("staff", 200), ("admin", 200)],
)
def test_quarantine_access(app, client, users, auth, role, expected):
    row_id = _store(app, (MAIL / "nesting_bomb_50.eml").read_bytes())
    if role:
        auth.login(role)
    for url in ("/staff/quarantine/", f"/staff/quarantine/{row_id}"):
        assert client.get(url).status_code == expected
    assert client.post(f"/staff/quarantine/{row_id}/replay").status_code in (expected if expected != 200 else 400, 400)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_quarantine_page_shows_counts_reason_headers_and_replays(app, client, users, auth):
    hostile = _store(app, (MAIL / "nesting_bomb_50.eml").read_bytes())
    # A message quarantined for a reason that no longer holds (say, a full disk) replays into an item.
    fixed = _store(
        app, (MAIL / "utf8_base64_body.eml").read_bytes(), error="gave up after 5 tries; last error: OSError"
    )
    _store(
        app,
        b"From: big@example.cn\r\nSubject: big\r\n\r\n",
        state=InboundState.oversize,
        error="larger than the limit",
        sender="big@example.cn",
    )
    auth.login("staff")
    page = client.get("/staff/quarantine/").get_data(as_text=True)
    assert 'data-state="quarantined"' in page and "<strong>2</strong>" in page
    assert "MIME nesting deeper than 20" in page and "big@example.cn" in page
    detail = client.get(f"/staff/quarantine/{hostile}").get_data(as_text=True)
    assert "Content-Type: multipart/mixed" in detail

    # Without the CSRF token nothing happens.
    assert client.post(f"/staff/quarantine/{fixed}/replay").status_code == 400
    token = csrf_token_from(client.get(f"/staff/quarantine/{fixed}").get_data(as_text=True))
    response = client.post(f"/staff/quarantine/{fixed}/replay", data={"csrf_token": token})
    assert response.status_code == 303
    drain(app)
    with app.app_context():
        assert db.session.get(InboundMessage, fixed).state is InboundState.parsed
        assert db.session.scalar(select(FeedbackItem.id)) is not None
        assert db.session.get(InboundMessage, hostile).state is InboundState.quarantined


@pytest.mark.parametrize("backend", ["sqlite"])
def test_staff_have_an_oversize_message_fetched_anew(mail_app, mailbox_id, imap_append, client, users, auth):
    from tests.mailbox.conftest import ingest
    from tests.mailbox.test_ingest import mail

    mail_app.config.update(MAX_MESSAGE_MB=1, MAX_REPLAY_MESSAGE_MB=3)
    imap_append(mail("很大的附件", "大" * 400_000))
    ingest(mail_app, mailbox_id)
    with mail_app.app_context():
        row_id = db.session.scalar(select(InboundMessage.id).where(InboundMessage.state == InboundState.oversize))
    auth.login("staff")
    page = client.get(f"/staff/quarantine/{row_id}").get_data(as_text=True)
    assert f"/staff/quarantine/{row_id}/replay" in page
    response = client.post(f"/staff/quarantine/{row_id}/replay", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/quarantine/{row_id}")
    drain(mail_app)
    with mail_app.app_context():
        row = db.session.get(InboundMessage, row_id)
        assert row.state is InboundState.parsed and row.item.body.count("大") == 400_000
