"""parse_message: one raw message through the stdlib parser within structural limits, walked part by
part into a ParsedMessage (the body chosen and cleaned, attachments named, winmail.dat unpacked)."""

from __future__ import annotations

import io
import mimetypes
import re
from dataclasses import dataclass, field, replace
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from intake.mailbox import automail
from intake.mailbox.decoding.charsets import Decoded, _decode_unlabelled, decode_bytes, normalize_charset
from intake.mailbox.decoding.cleanup import clean_body_text, unflow_delsp
from intake.mailbox.decoding.filenames import sanitize_filename
from intake.mailbox.decoding.headers import decode_header, parse_addresses, parse_date, parse_message_ids, raw_header
from intake.mailbox.decoding.html import html_to_text, sanitize_html
from intake.mailbox.decoding.parsed import HostileMessage, MailParseError, ParsedAttachment, ParsedMessage
from intake.mailbox.decoding.parts import (
    _children,
    _content_id,
    _content_type,
    _disposition,
    _filename,
    _param,
    _payload_bytes,
)
from intake.mailbox.decoding.structure import repair_boundaries
from intake.mailbox.decoding.tnef import unpack_tnef

DEFAULT_MAX_DEPTH = 20
DEFAULT_MAX_PARTS = 500
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


class _RawPolicy(Compat32):
    """compat32 that hands back header values as received (surrogate-escaped), only unfolded,
    so parameter parsing keeps raw 8-bit bytes instead of turning them into U+FFFD."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return re.sub(r"\r?\n(?=[ \t])", "", value)


_RAW_POLICY = _RawPolicy()
_EML_POLICY = _RAW_POLICY.clone(linesep="\r\n")
_HEADER_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]*:")  # the same test the stdlib feedparser uses
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_FORWARD_TYPES = {"message/rfc822", "message/global"}
_REPORT_TYPES = {"message/delivery-status", "message/global-delivery-status", "message/disposition-notification"}


@dataclass
class _Limits:
    max_depth: int
    max_parts: int
    max_header_bytes: int


@dataclass
class _Collected:
    texts: list[Decoded] = field(default_factory=list)
    htmls: list[Decoded] = field(default_factory=list)
    fallback_texts: list[Decoded] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)


def parse_message(
    raw: bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_parts: int = DEFAULT_MAX_PARTS,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> ParsedMessage:
    """Parse one message as received. Raises HostileMessage past a limit and MailParseError for
    anything else that goes wrong; no other exception escapes."""
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailParseError("raw message must be bytes, not %s" % type(raw).__name__)
    limits = _Limits(max_depth, max_parts, max_header_bytes)
    try:
        return _parse(raw, limits)
    except MailParseError:
        raise
    except RecursionError as exc:
        raise HostileMessage("MIME structure too deep to parse") from exc
    except MemoryError as exc:
        raise HostileMessage("message too large to parse") from exc
    except Exception as exc:  # the caller quarantines on MailParseError; nothing else may escape
        raise MailParseError("unexpected %s: %s" % (type(exc).__name__, exc)) from exc


def _parse(raw: bytes, limits: _Limits) -> ParsedMessage:
    header_block = _scan_header_block(raw, limits.max_header_bytes)
    msg = BytesParser(policy=_RAW_POLICY).parsebytes(raw)
    repair_boundaries(msg, _RAW_POLICY)
    _check_structure(msg, limits)
    hint = _declared_text_charset(msg)
    collected = _Collected()
    _walk(msg, collected, hint)
    if len(collected.attachments) > limits.max_parts:
        raise HostileMessage("more than %d attachments" % limits.max_parts)
    text, html, body = _assemble_body(collected)
    if body and body.charset not in ("us-ascii", None):
        hint = body.charset
    return _build(msg, raw, header_block, hint, text, html, body, collected)


def _build(
    msg: Message,
    raw: bytes,
    header_block: bytes,
    hint: str | None,
    text: str,
    html: str | None,
    body: Decoded | None,
    collected: _Collected,
) -> ParsedMessage:
    subject = decode_header(raw_header(msg, "Subject"), hint)
    senders = parse_addresses(raw_header(msg, "From"), hint)
    from_name, from_addr = senders[0] if senders else (None, None)
    reply_to = parse_addresses(raw_header(msg, "Reply-To"), hint)
    in_reply_to = parse_message_ids(raw_header(msg, "In-Reply-To"))
    message_ids = parse_message_ids(raw_header(msg, "Message-ID"))
    is_auto, auto_reason = automail.classify_auto(msg, subject=subject, from_addr=from_addr)
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=parse_message_ids(raw_header(msg, "References")),
        subject=subject,
        from_name=from_name or None,
        from_addr=from_addr or None,
        reply_to_addr=(reply_to[0][1] or None) if reply_to else None,
        to_addrs=[addr for _, addr in parse_addresses(raw_header(msg, "To"), hint) if addr],
        cc_addrs=[addr for _, addr in parse_addresses(raw_header(msg, "Cc"), hint) if addr],
        date=parse_date(raw_header(msg, "Date")),
        text=text,
        html=html,
        charset=body.charset if body else None,
        declared_charset=body.declared if body else None,
        lossy=any(part.lossy for part in collected.texts + collected.htmls + collected.fallback_texts),
        attachments=collected.attachments,
        headers_raw=clean_body_text(_decode_unlabelled(header_block, hint)).rstrip("\n"),
        is_auto=is_auto,
        auto_reason=auto_reason,
        bounce_recipients=automail.bounce_recipients(msg),
        size=len(raw),
    )


def _scan_header_block(raw: bytes, limit: int) -> bytes:
    """The top-level header block, refusing any header field longer than `limit` bytes before the
    stdlib gets to spend time on it."""
    pos, field_len, first = 0, 0, True
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        line_end = len(raw) if end < 0 else end + 1
        line = raw[pos:line_end].rstrip(b"\r\n")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            field_len += len(line)
        elif _HEADER_FIELD.match(line[:1000]) or (first and line.startswith(b"From ")):
            field_len = len(line)
        else:
            break
        if field_len > limit:
            raise HostileMessage("header field longer than %d bytes" % limit)
        first = False
        pos = line_end
    return raw[:pos]


def _check_structure(msg: Message, limits: _Limits) -> None:
    stack = [(msg, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise HostileMessage("more than %d MIME parts" % limits.max_parts)
        if depth > limits.max_depth:
            raise HostileMessage("MIME nesting deeper than %d" % limits.max_depth)
        for _, value in part.raw_items():
            if len(value) > limits.max_header_bytes:
                raise HostileMessage("header field longer than %d bytes" % limits.max_header_bytes)
        stack.extend((child, depth + 1) for child in _children(part) or [])


def _iter_leaves(msg: Message):
    stack = [msg]
    while stack:
        part = stack.pop()
        children = _children(part)
        if children is not None and _content_type(part) not in _FORWARD_TYPES:
            stack.extend(reversed(children))
        else:
            yield part


def _declared_text_charset(msg: Message) -> str | None:
    """The first meaningful charset label on a text part: the hint for raw 8-bit headers and names."""
    for part in _iter_leaves(msg):
        if _content_type(part).startswith("text/"):
            label = normalize_charset(_param(part, "charset"))
            if label and label not in ("cp1252", "utf-8"):
                return label
    return None


def _walk(part: Message, acc: _Collected, hint: str | None) -> None:
    ctype = _content_type(part)
    if ctype in _REPORT_TYPES:
        # automail.bounce_recipients reads it from the message; people read it as a text file.
        report = _message_part_attachment(part, ctype, hint)
        acc.attachments.append(report)
        acc.fallback_texts.append(decode_bytes(report.payload, _param(part, "charset")))
        return
    children = _children(part)
    if children is not None:
        if ctype == "message/external-body":
            # A pointer to content stored elsewhere (RFC 2046), not a mail: kept as the text it is.
            acc.attachments.append(_message_part_attachment(part, ctype, hint))
        elif ctype in _FORWARD_TYPES or ctype.startswith("message/"):
            acc.attachments.append(_forwarded_attachment(part, children, hint))
        elif ctype == "multipart/alternative":
            _walk_alternative(children, acc, hint)
        else:
            for child in children:
                _walk(child, acc, hint)
        return
    _walk_leaf(part, ctype, acc, hint)


def _walk_alternative(children: list[Message], acc: _Collected, hint: str | None) -> None:
    # The last alternative of each kind is the richest (RFC 2046); attachments from any alternative
    # (e.g. images of a multipart/related HTML) are all kept.
    best_texts: list[Decoded] = []
    best_htmls: list[Decoded] = []
    for child in children:
        sub = _Collected()
        _walk(child, sub, hint)
        acc.attachments.extend(sub.attachments)
        acc.fallback_texts.extend(sub.fallback_texts)
        # An alternative left empty (a signature-only or blank last part) is no alternative.
        best_texts = sub.texts if any(part.text.strip() for part in sub.texts) else best_texts
        best_htmls = sub.htmls if any(part.text.strip() for part in sub.htmls) else best_htmls
    acc.texts.extend(best_texts)
    acc.htmls.extend(best_htmls)


def _walk_leaf(part: Message, ctype: str, acc: _Collected, hint: str | None) -> None:
    filename = _filename(part, hint)
    disposition = _disposition(part)
    is_body_type = ctype in ("text/plain", "text/html") or ctype.startswith("multipart/")
    if is_body_type and disposition != "attachment" and filename is None:
        data = _payload_bytes(part)
        declared = _param(part, "charset")
        if ctype == "text/html" and not declared:
            declared = _meta_charset(data)
        decoded = decode_bytes(data, declared)
        if ctype == "text/plain" and _is_flowed_delsp(part):
            decoded = replace(decoded, text=unflow_delsp(decoded.text))
        (acc.htmls if ctype == "text/html" else acc.texts).append(decoded)
        return
    payload = _payload_bytes(part)
    if ctype in _TNEF_TYPES or (filename or "").lower() == "winmail.dat":
        unpacked = unpack_tnef(payload, hint)
        if unpacked is not None:
            acc.attachments.extend(unpacked[0])
            acc.fallback_texts.extend([unpacked[1]] if unpacked[1] else [])
            return
    content_id = _content_id(part)
    acc.attachments.append(
        ParsedAttachment(
            filename=sanitize_filename(filename, _default_name(ctype)),
            content_type=ctype,
            payload=payload,
            is_inline=disposition == "inline" or (disposition is None and content_id is not None),
            content_id=content_id,
        )
    )


def _is_flowed_delsp(part: Message) -> bool:
    flowed = str(_param(part, "format") or "").lower() == "flowed"
    return flowed and str(_param(part, "delsp") or "").lower() == "yes"


def _default_name(ctype: str) -> str:
    if ctype in _TNEF_TYPES:
        return "winmail.dat"
    extension = mimetypes.guess_extension(ctype) or (".txt" if ctype.startswith("text/") else ".bin")
    return "attachment" + extension


def _forwarded_attachment(part: Message, children: list[Message], hint: str | None) -> ParsedAttachment:
    inner = children[0] if children else Message()
    # The name the sender gave the attached mail, else one made from its subject.
    name = _filename(part, hint)
    if name is None:
        subject = decode_header(raw_header(inner, "Subject"), hint)
        # A subject is not a path: its slashes are part of the words, not directories to strip.
        name = re.sub(r"[/\\]", "_", subject).strip() or "forwarded"
        if not name.lower().endswith(".eml"):
            name += ".eml"
    return ParsedAttachment(
        filename=sanitize_filename(name, "forwarded.eml"),
        content_type="message/rfc822",
        payload=_message_bytes(inner),
        is_inline=False,
        content_id=_content_id(part),
    )


def _message_part_attachment(part: Message, ctype: str, hint: str | None) -> ParsedAttachment:
    """A message/* part that is text to read, not a mail: a delivery status, an external body."""
    if _children(part) is None:
        payload = _payload_bytes(part)
    else:  # the stdlib parses these into header blocks: their body as generated again
        payload = _message_bytes(part).partition(b"\r\n\r\n")[2]
    return ParsedAttachment(
        filename=sanitize_filename(_filename(part, hint), ctype.split("/")[1] + ".txt"),
        content_type=ctype,
        payload=payload,
    )


def _message_bytes(msg: Message) -> bytes:
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0, policy=_EML_POLICY).flatten(msg)
    except Exception:  # regenerating a broken inner message can fail; keep what was written
        pass
    return buffer.getvalue()


def _assemble_body(collected: _Collected) -> tuple[str, str | None, Decoded | None]:
    """Text prefers text/plain (HTML converted only when no plain text has content); the HTML is kept sanitized."""
    plain = [part for part in collected.texts if part.text.strip()]
    html_source = "\n".join(part.text for part in collected.htmls)
    html = sanitize_html(clean_body_text(html_source)) if collected.htmls else None
    if plain:
        text, body = "\n".join(part.text.rstrip("\r\n") for part in plain), plain[0]
    elif collected.htmls:
        text, body = html_to_text(html_source), collected.htmls[0]
    elif collected.fallback_texts:
        text = "\n".join(part.text.rstrip("\r\n") for part in collected.fallback_texts)
        body = collected.fallback_texts[0]
    else:
        text, body = "", (collected.texts[0] if collected.texts else None)
    return clean_body_text(text).strip("\n"), html.strip() if html else html, body
