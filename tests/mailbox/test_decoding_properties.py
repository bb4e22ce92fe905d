"""Whatever bytes arrive, parse_message returns a ParsedMessage or raises MailParseError; nothing else."""

from __future__ import annotations

import base64
import struct
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.mailbox.decoding.headers import decode_header
from intake.mailbox.decoding.parsed import MailParseError, ParsedMessage
from intake.mailbox.decoding.parsing import parse_message
from intake.mailbox.replies import find_tracking_code, split_reply, strip_subject_prefixes

# No example database: it would write a .hypothesis folder into the working tree.
BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

CHARSETS = [
    "utf-8",
    "UTF-8",
    "gb2312",
    "gbk",
    "gb18030",
    "big5",
    "big5-hkscs",
    "ks_c_5601-1987",
    "iso-8859-1",
    "us-ascii",
    "utf-16",
    "utf-7",
    "iso-2022-jp",
    "x-unknown",
    "",
    "rot13",
    "base64",
    "unicode_escape",
    "idna",
    '"gb2312"',
    "utf-8*zh",
    "x\x00y",
]
HEADER_NAMES = [
    "Subject",
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Content-Type",
    "Content-Disposition",
    "Content-Transfer-Encoding",
    "Content-ID",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "Return-Path",
    "X-Autoreply",
    "X-Failed-Recipients",
]
CONTENT_TYPES = [
    "text/plain",
    "text/html",
    "text/rfc822-headers",
    "application/octet-stream",
    "image/png",
    "application/ms-tnef",
    "message/rfc822",
    "message/delivery-status",
    "message/global",
    "text",
    "",
    "multipart/mixed",
    "x/y/z",
]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "garbage", ""]
SUBTYPES = ["mixed", "alternative", "related", "report; report-type=delivery-status", "digest", "signed"]

charsets = st.sampled_from(CHARSETS).map(str.encode)


@st.composite
def encoded_words(draw) -> bytes:
    payload = draw(st.binary(max_size=30))
    kind = draw(st.sampled_from([b"B", b"b", b"Q", b"q"]))
    text = base64.b64encode(payload) if kind in b"Bb" else b"".join(b"=%02X" % c for c in payload)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncated words happen
    return b"=?" + draw(charsets) + b"?" + kind + b"?" + text + b"?="


header_values = st.one_of(
    st.binary(max_size=80),
    st.lists(st.one_of(encoded_words(), st.binary(max_size=10)), max_size=4).map(b"".join),
    st.builds(lambda c, s: b"text/plain; charset=" + c + s, charsets, st.binary(max_size=20)),
    st.builds(
        lambda c, s: b"attachment; filename*0*=" + c + b"''" + s + b"; filename*1*=%E4%B8",
        charsets,
        st.binary(max_size=20),
    ),
    st.builds(lambda s: b'attachment; filename="' + s + b'"', st.binary(max_size=20)),
    st.sampled_from(
        [
            b"<[x@microsoft.com]>",
            b"<>",
            b"<<a@b>>",
            b"",
            b"\x00",
            b"rfc822; a@b.cn",
            b"no",
            b"text/plain; charset*=utf-8''gbk",
            b"text/plain; charset*0*=''%FF; charset*1=x",
            b"multipart/mixed; boundary*=''b1",
            b"attachment; filename*=gb2312''%D5%FB\"; name=\"a/b",
        ]
    ),
)
headers = st.lists(st.tuples(st.sampled_from(HEADER_NAMES).map(str.encode), header_values), max_size=8)


def render_headers(pairs) -> bytes:
    return b"".join(name + b": " + value + b"\r\n" for name, value in pairs)


@st.composite
def leaves(draw) -> bytes:
    ctype = draw(st.sampled_from(CONTENT_TYPES)).encode()
    charset = draw(charsets)
    encoding = draw(st.sampled_from(ENCODINGS)).encode()
    body = draw(st.one_of(st.binary(max_size=300), st.just(tnef_like(draw(st.binary(max_size=60))))))
    if encoding == b"base64" and draw(st.booleans()):
        body = base64.encodebytes(body)
    param = draw(st.sampled_from([b"; charset=", b"; charset*=", b"; charset*=''"]))
    head = b"Content-Type: " + ctype + param + charset + b"\r\nContent-Transfer-Encoding: " + encoding
    return head + b"\r\n" + render_headers(draw(headers)) + b"\r\n" + body


def tnef_like(tail: bytes) -> bytes:
    return struct.pack("<IH", 0x223E9F78, 1) + tail


def multipart(children_and_choice) -> st.SearchStrategy[bytes]:
    return st.builds(_render_multipart, st.sampled_from(SUBTYPES), st.integers(0, 10**6), children_and_choice)


def _render_multipart(subtype: str, number: int, children: list[bytes]) -> bytes:
    boundary = b"b%d" % number
    body = b"".join(b"--" + boundary + b"\r\n" + child + b"\r\n" for child in children)
    head = b"Content-Type: multipart/" + subtype.encode() + b'; boundary="' + boundary + b'"\r\n\r\n'
    return head + body + b"--" + boundary + b"--\r\n"


parts = st.recursive(leaves(), lambda children: multipart(st.lists(children, max_size=4)), max_leaves=12)


@st.composite
def messages(draw) -> bytes:
    top = render_headers(draw(headers))
    line_ending = draw(st.sampled_from([b"\r\n", b"\n"]))
    return (top + draw(parts)).replace(b"\r\n", line_ending)


def check_result(raw: bytes, **limits) -> None:
    try:
        parsed = parse_message(raw, **limits)
    except MailParseError as error:
        assert isinstance(error.reason, str) and error.reason
        return
    assert isinstance(parsed, ParsedMessage)
    texts = [parsed.text, parsed.subject, parsed.headers_raw, parsed.from_name or "", parsed.html or ""]
    texts += [attachment.filename for attachment in parsed.attachments]
    texts += parsed.to_addrs + parsed.references + parsed.bounce_recipients
    for text in texts:
        assert isinstance(text, str)
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: the database must be able to store it
    for attachment in parsed.attachments:
        assert isinstance(attachment.payload, bytes)
        assert attachment.filename and "/" not in attachment.filename and "\\" not in attachment.filename
    assert parsed.date is None or (isinstance(parsed.date, datetime) and parsed.date.tzinfo is not None)
    assert parsed.size == len(raw)


@BOUNDED
@given(messages())
def test_structured_random_messages(raw):
    check_result(raw)


@settings(BOUNDED, max_examples=100)
@given(messages())
def test_structured_random_messages_with_tight_limits(raw):
    check_result(raw, max_depth=2, max_parts=5, max_header_bytes=64)


@settings(BOUNDED, max_examples=100)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(raw):
    check_result(raw)


@settings(BOUNDED, max_examples=100)
@given(st.binary(max_size=300))
def test_decode_header_always_gives_clean_text(raw):
    text = decode_header(raw)
    text.encode("utf-8")
    assert not any(ord(ch) < 32 for ch in text)


@settings(BOUNDED, max_examples=100)
@given(st.text(max_size=300))
def test_reply_helpers_never_raise(text):
    new, quoted = split_reply(text)
    assert isinstance(new, str) and isinstance(quoted, str)
    code = find_tracking_code(text)
    assert code is None or (len(code) == 14 and code.startswith("JD-"))
    assert isinstance(strip_subject_prefixes(text), str)
