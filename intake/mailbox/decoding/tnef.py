"""winmail.dat (TNEF) from Outlook: the files and body inside it, read within a budget, since a
forged count in the stream would otherwise make the reader loop for hours."""

from __future__ import annotations

import logging
import mimetypes
import sys

from tnefparse.tnef import TNEF

from intake.mailbox.decoding.charsets import Decoded, decode_bytes, normalize_charset
from intake.mailbox.decoding.filenames import sanitize_filename
from intake.mailbox.decoding.parsed import ParsedAttachment

# tnefparse logs a warning for every property of a damaged stream (billions for a forged count);
# a failed unpack is already visible to the caller as the winmail.dat kept as an attachment.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

# A real winmail.dat needs a few thousand traced events; see _with_line_budget.
TNEF_LINE_BUDGET = 1_000_000


class _TnefTooComplex(BaseException):
    """A BaseException, so that tnefparse's own `except Exception` blocks cannot swallow it."""


def _with_line_budget(func, *args):
    """Run func under a trace hook that stops it after TNEF_LINE_BUDGET traced events.

    tnefparse trusts the count fields of the stream: a forged MAPI property count makes
    decode_mapi loop 2**32 times, so a hostile winmail.dat would otherwise hang the worker.
    """
    remaining = TNEF_LINE_BUDGET

    def tracer(frame, event, arg):
        nonlocal remaining
        remaining -= 1
        if remaining < 0:
            raise _TnefTooComplex
        # tnefparse.util.systime has a bare `except:` that would catch the budget error inside it.
        return None if frame.f_code.co_name == "systime" else tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return func(*args)
    finally:
        sys.settrace(previous)


def _read_tnef(payload: bytes) -> tuple[list[tuple[str, bytes]], str | bytes | None, str | None]:
    tnef = TNEF(payload, do_checksum=False)
    files = [(_tnef_name(item, tnef.codepage), item.data) for item in tnef.attachments]
    return files, tnef.body, tnef.codepage


def unpack_tnef(payload: bytes, hint: str | None) -> tuple[list[ParsedAttachment], Decoded | None] | None:
    """The files and the body inside a winmail.dat; None if it cannot be read."""
    try:
        files, body, codepage = _with_line_budget(_read_tnef, payload)
    except (Exception, _TnefTooComplex):  # tnefparse raises many kinds of errors on damaged input
        return None
    if not files and not body:
        return None
    attachments = [
        ParsedAttachment(
            filename=sanitize_filename(name),
            content_type=_guess_type(name),
            payload=data if isinstance(data, bytes) else b"",
        )
        for name, data in files
    ]
    text = None
    if isinstance(body, str):  # already decoded by tnefparse with the message's internet codepage
        text = Decoded(body, normalize_charset(codepage) or "utf-8", False)
    elif body:
        text = decode_bytes(body.rstrip(b"\x00"), codepage or hint)
    return attachments, text


def _tnef_name(item, codepage: str | None) -> str:
    try:
        name = item.long_filename()
    except Exception:  # tnefparse decodes the 8-bit title as UTF-8 and fails on GBK
        name = getattr(item, "_name", b"")
    if isinstance(name, bytes):
        name = decode_bytes(name.split(b"\x00", 1)[0], codepage, detect=False).text
    return str(name).strip("\x00")


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
