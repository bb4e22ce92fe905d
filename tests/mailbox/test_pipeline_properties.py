"""Property: whatever bytes arrive, the parse job ends each message as an item (or a thread
entry or duplicate) or in quarantine, and no exception escapes it."""

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from intake.extensions import db
from intake.mailbox.jobs import parse_inbound
from intake.mailbox.models import InboundMessage, InboundState

HEADER_NAMES = [
    "From",
    "To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
    "Date",
    "MIME-Version",
    "Content-Disposition",
]
CHARSETS = ["utf-8", "gb2312", "gbk", "gb18030", "big5", "iso-8859-1", "x-unknown", ""]


@st.composite
def messages(draw) -> bytes:
    headers = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), st.binary(max_size=60)), max_size=8))
    charset = draw(st.sampled_from(CHARSETS))
    text = draw(st.text(max_size=200))
    body = text.encode(draw(st.sampled_from(["utf-8", "gb18030", "big5hkscs"])), "replace")
    if draw(st.booleans()):
        boundary = b"b" + draw(st.binary(min_size=1, max_size=8)).hex().encode()
        part = b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n\r\n" + body
        body = b"--" + boundary + b"\r\n" + part + b"\r\n--" + boundary + b"--\r\n"
        headers.append(("Content-Type", b"multipart/mixed; boundary=" + boundary))
    raw = b"".join(name.encode() + b": " + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    return raw + b"\r\n" + body + draw(st.binary(max_size=40))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=messages())
def test_every_message_ends_as_item_or_in_quarantine(app, raw):
    with app.app_context():
        row = InboundMessage(
            raw=raw,
            sha256=hashlib.sha256(raw).hexdigest(),
            size=len(raw),
            state=InboundState.stored,
            attempts=0,
            acknowledge=False,
        )
        db.session.add(row)
        db.session.commit()
        parse_inbound(row.id)  # must not raise
        state = db.session.scalar(select(InboundMessage.state).where(InboundMessage.id == row.id))
        assert state in (InboundState.parsed, InboundState.duplicate, InboundState.quarantined)
        if state is InboundState.parsed:
            assert db.session.get(InboundMessage, row.id).item_id is not None
