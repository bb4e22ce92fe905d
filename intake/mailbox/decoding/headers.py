"""Header values: RFC 2047 words and raw 8-bit bytes, addresses, Message-IDs and dates."""

from __future__ import annotations

import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email import utils as email_utils
from email.message import Message

from intake.mailbox.decoding.charsets import _decode_unlabelled, decode_bytes, normalize_charset
from intake.mailbox.decoding.cleanup import _clean_header_text, _raw_bytes

MAX_MESSAGE_IDS = 200


CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def _unfold(raw: bytes) -> bytes:
    return _FOLD.sub(b"", raw)


_ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_b(data: bytes) -> bytes:
    data = _NOT_BASE64.sub(b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return b""


def _decode_q(data: bytes) -> bytes:
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def decode_header(value: str | bytes | None, hint: str | None = None) -> str:
    """Decode a header value: RFC 2047 words (adjacent same-charset words joined as bytes first,
    so a character split across two words survives) and raw 8-bit bytes outside them."""
    if value is None:
        return ""
    raw = _unfold(value if isinstance(value, bytes) else _raw_bytes(str(value)))
    pieces: list[list] = []  # [charset or None for literal text, bytearray]
    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        literal = raw[pos : match.start()]
        between_words = pieces and pieces[-1][0] is not None and literal.strip(b" \t") == b""
        if literal and not between_words:
            pieces.append([None, bytearray(literal)])
        charset = match.group(1).split(b"*", 1)[0].decode("ascii", "replace")
        key = normalize_charset(charset) or charset.lower()
        text = match.group(3)
        data = _decode_b(text) if match.group(2) in b"bB" else _decode_q(text)
        if pieces and pieces[-1][0] == key:
            pieces[-1][1] += data
        else:
            pieces.append([key, bytearray(data)])
        pos = match.end()
    if raw[pos:]:
        pieces.append([None, bytearray(raw[pos:])])
    out = []
    for key, data in pieces:
        if key is None:
            out.append(_decode_unlabelled(bytes(data), hint))
        else:
            out.append(decode_bytes(bytes(data), key, detect=False).text)
    return _clean_header_text("".join(out))


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, exactly as received (surrogate-escaped), or None."""
    wanted = name.lower()
    try:
        for key, value in msg.raw_items():
            if str(key).lower() == wanted:
                return str(value)
    except Exception:  # a malformed header list must not stop the rest of the message
        return None
    return None


_ADDR_IN_BRACKETS = re.compile(rb"<([^<>]*)>\s*$")
# Bounded repeats: an unbounded run before "@" makes the search quadratic on a long header.
_ADDR_LOOSE = re.compile(rb"[^\s<>\"',;:()\[\]]{1,64}@[^\s<>\"',;:()\[\]]{1,255}")
_ADDR_SPEC = re.compile(r"[^\s<>\"',;:()\[\]@]{1,64}@[^\s<>\"',;:()\[\]@]{1,255}")
_ADDR_LIST_ITEM = re.compile(rb'(?:"[^"]*"|<[^<>]*>|[^,"<])+')


def _clean_addr(addr: bytes | str) -> str:
    if isinstance(addr, str):
        addr = _raw_bytes(addr)
    text = addr.decode("utf-8", "replace").strip().strip("<>").strip().lower()
    return _clean_header_text(text).replace(" ", "")


def parse_addresses(value: str | None, hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, lowercase address) pairs; raw 8-bit names are split by hand since the stdlib
    tokenizer trips on GBK trail bytes that look like '@' or '['."""
    if not value:
        return []
    raw = _unfold(_raw_bytes(value))
    pairs: list[tuple[bytes | str, bytes | str]] = []
    if raw.isascii():
        try:
            pairs = list(email_utils.getaddresses([raw.decode("ascii")]))
        except Exception:  # the stdlib address parser raises on some hostile inputs
            pairs = []
    if not raw.isascii() or not any(_ADDR_SPEC.fullmatch(addr) for _, addr in pairs):
        # Raw 8-bit names, or what the stdlib cannot split: two addresses without a comma between
        # them ("tim@x.com bob@x.com" gives "@x.com"), a bare name before an address.
        pairs = [pair for item in _ADDR_LIST_ITEM.findall(raw) for pair in _split_8bit_address(item)]
    result = []
    for name, addr in pairs:
        clean_name = decode_header(name, hint).strip().strip('"').strip()
        clean_addr = _clean_addr(addr)
        if clean_name or clean_addr:
            result.append((clean_name, clean_addr))
    return result


def _split_8bit_address(item: bytes) -> list[tuple[bytes, bytes]]:
    match = _ADDR_IN_BRACKETS.search(item)
    if match:
        return [(item[: match.start()].strip(), match.group(1))]
    addresses = list(_ADDR_LOOSE.finditer(item))
    if not addresses:
        return [(item.strip(), b"")]
    # Addresses without a comma between them: each its own, the name (if any) the first one's.
    name = _ADDR_LOOSE.sub(b"", item).strip()
    return [(name if n == 0 else b"", found.group(0)) for n, found in enumerate(addresses)]


_MSG_ID = re.compile(r"<([^<>]*)>")


def parse_message_ids(value: str | None) -> list[str]:
    """Message ids without angle brackets, kept as sent even when malformed (e.g. '[x@microsoft.com]')."""
    if not value:
        return []
    text = _clean_header_text(_unfold(_raw_bytes(value)).decode("utf-8", "replace"))
    ids = [re.sub(r"\s+", "", found) for found in _MSG_ID.findall(text)]
    if not ids:
        ids = [token.strip("<>") for token in re.split(r"[\s,]+", text)]
    ids = [found[:998] for found in ids if found]
    if len(ids) > MAX_MESSAGE_IDS:
        # Keep the thread root and the most recent ancestors.
        ids = ids[:1] + ids[-(MAX_MESSAGE_IDS - 1) :]
    return ids


def parse_date(value: str | None) -> datetime | None:
    """An aware datetime; zone-less dates from Chinese mailers are taken as China Standard Time."""
    if not value:
        return None
    text = _clean_header_text(_raw_bytes(value).decode("ascii", "replace"))
    try:
        parsed = email_utils.parsedate_to_datetime(text)
        if parsed.tzinfo is None:  # "-0000": the zone is unknown, RFC 5322 says treat as UTC
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    except Exception:  # parsedate raises TypeError, ValueError, IndexError, OverflowError
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_STANDARD_TIME)
