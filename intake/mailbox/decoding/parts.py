"""What one MIME part says about itself: content type, disposition, parameters, file name,
Content-ID, payload and sub-parts."""

from __future__ import annotations

import binascii
import re
from email.message import Message

from intake.mailbox.decoding.charsets import decode_bytes
from intake.mailbox.decoding.cleanup import _clean_header_text, _raw_bytes
from intake.mailbox.decoding.headers import decode_header, raw_header


def _latin1_bytes(value: str) -> bytes:
    # RFC 2231 values come back percent-decoded one byte per character (latin-1).
    try:
        return value.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return _raw_bytes(value)


def _children(part: Message) -> list[Message] | None:
    """Sub-parts of a multipart or message/* part, None for a leaf. Never calls get_payload() on a
    leaf: for 8-bit payloads it decodes with the declared charset, which may be any codec at all."""
    if not part.is_multipart():
        return None
    return [child for child in part.get_payload() if isinstance(child, Message)]


_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def _content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:  # a hostile Content-Type is treated like a missing one
        return "text/plain"
    # 8-bit bytes or other junk in the type (the stdlib keeps them): invalid, so the RFC 2045 default.
    return ctype if _MIME_TYPE.fullmatch(ctype) else "text/plain"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _param(part: Message, name: str, header: str = "content-type") -> str | tuple | None:
    try:
        value = part.get_param(name, header=header)
    except Exception:  # malformed parameter lists are common in the wild
        return None
    if isinstance(value, tuple) and name == "charset":
        return value[2]
    return value


def _param_text(part: Message, name: str, header: str, hint: str | None) -> str | None:
    value = _param(part, name, header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded value)
        charset, _, text = value
        return _clean_header_text(decode_bytes(_latin1_bytes(str(text)), charset or hint, detect=False).text)
    # Outlook and Foxmail put an RFC 2047 word inside the quotes; old mailers send raw GBK bytes.
    return decode_header(str(value), hint)


def _filename(part: Message, hint: str | None) -> str | None:
    for header, name in (("content-disposition", "filename"), ("content-type", "name")):
        text = _param_text(part, name, header, hint)
        if text and text.strip():
            return text
    return None


def _content_id(part: Message) -> str | None:
    value = raw_header(part, "Content-ID")
    if not value:
        return None
    text = _clean_header_text(_raw_bytes(value).decode("utf-8", "replace")).strip("<> ")
    return text or None


# Padding followed by more base64: a sender that encoded chunk by chunk.
_INNER_PADDING = re.compile(rb"=[\s=]*[A-Za-z0-9+/]")
_BASE64_CHUNK = re.compile(rb"[A-Za-z0-9+/]+")


def _chunked_base64(data: bytes) -> bytes:
    """Each padded chunk decoded on its own; the stdlib stops at the first padding and drops the rest."""
    out = []
    for chunk in _BASE64_CHUNK.findall(data):
        if len(chunk) % 4 == 1:
            chunk = chunk[:-1]  # a lone 6-bit group carries no byte
        out.append(binascii.a2b_base64(chunk + b"=" * (-len(chunk) % 4)))
    return b"".join(out)


def _payload_bytes(part: Message) -> bytes:
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        raw = part.get_payload()
        if isinstance(raw, str):
            data = _raw_bytes(raw)
            if _INNER_PADDING.search(data.rstrip()):
                return _chunked_base64(data)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding yields the bytes as they are
        data = None
    return data if isinstance(data, bytes) else b""
