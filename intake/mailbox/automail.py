"""Recognise mail no person wrote (auto-replies, lists, bounces) so it never becomes a feedback item
and never gets an auto-reply back (RFC 3834)."""

from __future__ import annotations

import email.header
import email.utils
import re
from email.message import Message

# Reasons, in the order they are checked; the first that matches is reported.
BOUNCE = "bounce"
READ_RECEIPT = "read-receipt"
AUTO_SUBMITTED = "auto-submitted"
AUTOREPLY_HEADER = "autoreply-header"
AUTO_RESPONSE_SUPPRESS = "auto-response-suppress"
PRECEDENCE = "precedence"
LIST = "list"
NULL_RETURN_PATH = "null-return-path"
NOREPLY_SENDER = "noreply-sender"
AUTO_SUBJECT = "auto-subject"

_DSN_TYPES = {"message/delivery-status", "message/global-delivery-status"}
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Autoresponder")
_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_NOREPLY_LOCAL = re.compile(r"^(mailer-daemon|postmaster)$|no[-_.]?reply|do[-_.]?not[-_.]?reply", re.I)
# Anchored at the start: a citizen's subject may well mention 休假 or "out of office" mid-sentence.
_BOUNCE_SUBJECT = re.compile(
    r"^\W*(undeliverable|undelivered mail|delivery status notification|mail delivery failed"
    r"|delivery failure|returned mail|failure notice|系统退信|退信|邮件投递失败|投递失败|未能送达|無法傳遞)",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\W*(自动回复|自動回覆|自動回復|自动答复|自動答覆|自动应答|自動應答|休假\s*[:：]|休假自动回复"
    r"|automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (the )?office\b)",
    re.I,
)
_MAX_PARTS_SCANNED = 1000


def _header(msg: Message, name: str) -> str | None:
    wanted = name.lower()
    try:
        for key, value in msg.raw_items():
            if str(key).lower() == wanted:
                return re.sub(r"\s+", " ", str(value)).strip()
    except Exception:  # a malformed header list reads as "no such header"
        return None
    return None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "text/plain"


def _parts(msg: Message):
    """Every part, depth first, bounded so a hostile tree cannot make classification slow."""
    stack, seen = [msg], 0
    while stack and seen < _MAX_PARTS_SCANNED:
        part = stack.pop()
        seen += 1
        yield part
        # is_multipart() first: get_payload() on an 8-bit leaf decodes it with whatever codec it names.
        if part.is_multipart() and _content_type(part) != "message/rfc822":
            stack.extend(reversed([child for child in part.get_payload() if isinstance(child, Message)]))


def _report_type(msg: Message) -> str | None:
    if _content_type(msg) != "multipart/report":
        return None
    try:
        value = msg.get_param("report-type")
    except Exception:
        return None
    return value.lower() if isinstance(value, str) else None


def _fallback_subject(msg: Message) -> str:
    value = _header(msg, "Subject") or ""
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # the stdlib decoder raises on broken encoded words
        return value


def _fallback_from(msg: Message) -> str:
    try:
        return email.utils.parseaddr(_header(msg, "From") or "")[1].lower()
    except Exception:
        return ""


def classify_auto(msg: Message, *, subject: str | None = None, from_addr: str | None = None) -> tuple[bool, str | None]:
    """(True, reason) for machine-sent mail. Pass the decoded subject and sender when you have them."""
    reason = _header_reason(msg) or _sender_reason(msg, from_addr) or _subject_reason(msg, subject)
    return reason is not None, reason


def _header_reason(msg: Message) -> str | None:
    report_type = _report_type(msg)
    if report_type == "delivery-status" or any(_content_type(p) in _DSN_TYPES for p in _parts(msg)):
        return BOUNCE
    if report_type == "disposition-notification":
        return READ_RECEIPT
    auto_submitted = (_header(msg, "Auto-Submitted") or "").split(";", 1)[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return AUTO_SUBMITTED
    if any(_header(msg, name) for name in _AUTOREPLY_HEADERS):
        return AUTOREPLY_HEADER
    if _header(msg, "X-Auto-Response-Suppress"):
        return AUTO_RESPONSE_SUPPRESS
    if (_header(msg, "Precedence") or "").lower() in _BULK_PRECEDENCE:
        return PRECEDENCE
    if _header(msg, "List-Id") or _header(msg, "List-Unsubscribe"):
        return LIST
    if (_header(msg, "Return-Path") or "").replace(" ", "") == "<>":
        return NULL_RETURN_PATH
    return None


def _sender_reason(msg: Message, from_addr: str | None) -> str | None:
    address = from_addr if from_addr is not None else _fallback_from(msg)
    local = (address or "").rpartition("@")[0] or (address or "")
    return NOREPLY_SENDER if local and _NOREPLY_LOCAL.search(local) else None


def _subject_reason(msg: Message, subject: str | None) -> str | None:
    text = subject if subject is not None else _fallback_subject(msg)
    if _BOUNCE_SUBJECT.search(text):
        return BOUNCE
    if _AUTO_SUBJECT.search(text):
        return AUTO_SUBJECT
    return None


def _dsn_address(value: str) -> str | None:
    # "rfc822; user@example.com": the address type comes first.
    try:
        text = value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        text = value
    address = re.sub(r"[\x00-\x20\x7f]", "", text.split(";", 1)[-1]).strip("<>").lower()
    return address if "@" in address else None


_RECIPIENT_FIELD = re.compile(r"(?im)^(?:final|original)-recipient[ \t]*:[ \t]*(.+?)\r?$")


def _leaf_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding reads as an empty report
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else ""


def bounce_recipients(msg: Message) -> list[str]:
    """Addresses a delivery report says could not be reached (Final-/Original-Recipient, X-Failed-Recipients)."""
    found: list[str] = []
    for part in _parts(msg):
        if _content_type(part) not in _DSN_TYPES:
            continue
        if part.is_multipart():  # the parser splits a delivery-status body into header blocks
            values = [
                _header(block, name)
                for block in part.get_payload()
                if isinstance(block, Message)
                for name in ("Final-Recipient", "Original-Recipient")
            ]
        else:
            values = _RECIPIENT_FIELD.findall(_leaf_text(part))
        found.extend(address for address in map(_dsn_address, filter(None, values)) if address)
    for item in (_header(msg, "X-Failed-Recipients") or "").split(","):
        address = _dsn_address(item)
        if address:
            found.append(address)
    return list(dict.fromkeys(found))
