"""MIME structure repaired as mail clients repair it: a multipart whose start boundary is missing
(its parts are in the preamble, or the whole body came back as one raw text)."""

from __future__ import annotations

import re
from email import errors
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy

from intake.mailbox.decoding.cleanup import _raw_bytes

# A part begins with a MIME header field; a preamble ("This is a multi-part message") does not.
_PART_START = re.compile(rb"\A(?:[\t ]*\r?\n)*Content-(?:Type|Transfer-Encoding|Disposition|ID)[ \t]*:", re.I)
_DELIMITER = re.compile(rb"^--([^\s]{1,70})[ \t]*\r?$", re.M)


def repair_boundaries(msg: Message, policy: Policy) -> None:
    """Recover the parts of every multipart in `msg` whose start boundary is missing, in place."""
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.get_content_maintype() != "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(child for child in payload if isinstance(child, Message))
            continue
        if part.is_multipart():
            _recover_preamble(part, policy)
            stack.extend(child for child in part.get_payload() if isinstance(child, Message))
        elif any(isinstance(d, errors.StartBoundaryNotFoundDefect) for d in part.defects):
            children = _recover_body(part, policy)
            if children:
                part.set_payload(children)
                stack.extend(children)


def _recover_preamble(part: Message, policy: Policy) -> None:
    # The first delimiter is missing: the first part's headers and body went to the preamble.
    preamble = part.preamble
    if not preamble:
        return
    data = _raw_bytes(preamble)
    if _PART_START.match(data):
        part.get_payload().insert(0, _parse_part(data, policy))
        part.preamble = None


def _recover_body(part: Message, policy: Policy) -> list[Message]:
    """The parts of a multipart whose declared boundary never starts a part: delimited by another
    boundary the body does use, or the body itself as the one part."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return []
    data = _raw_bytes(payload)
    for match in _DELIMITER.finditer(data):
        boundary = match.group(1)
        if boundary.endswith(b"--") or not _PART_START.match(data[match.end() :]):
            continue  # a close delimiter, or a line of dashes in the text
        header = b'Content-Type: multipart/mixed; boundary="' + boundary.replace(b'"', b"") + b'"\r\n\r\n'
        guessed = BytesParser(policy=policy).parsebytes(header + data)
        if guessed.is_multipart():
            _recover_preamble(guessed, policy)
            return guessed.get_payload()
    if _PART_START.match(data):
        return [_parse_part(data, policy)]
    return []


def _parse_part(data: bytes, policy: Policy) -> Message:
    return BytesParser(policy=policy).parsebytes(data.lstrip(b"\r\n\t "))
