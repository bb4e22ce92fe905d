"""What parsing a message gives: a ParsedMessage with its ParsedAttachments, or a MailParseError."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from intake.mailbox.decoding.charsets import normalize_charset


class MailParseError(Exception):
    """The message could not be decoded; `reason` says why, for the quarantine record."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class HostileMessage(MailParseError):
    """The message exceeds a structural limit (nesting, part count, header size)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    payload: bytes = field(repr=False)
    is_inline: bool = False
    content_id: str | None = None


@dataclass
class ParsedMessage:
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_name: str | None
    from_addr: str | None
    reply_to_addr: str | None
    to_addrs: list[str]
    cc_addrs: list[str]
    date: datetime | None
    text: str
    html: str | None
    charset: str | None
    declared_charset: str | None
    lossy: bool
    attachments: list[ParsedAttachment]
    headers_raw: str
    is_auto: bool
    auto_reason: str | None
    bounce_recipients: list[str]
    size: int

    @property
    def charset_mismatch(self) -> bool:
        """True when the body was not in the charset its label claimed (recovered by the fallback chain)."""
        declared = normalize_charset(self.declared_charset)
        return bool(declared and self.charset and declared != self.charset and self.charset != "us-ascii")
