"""Text clean-up: header and body text safe to store, and the raw bytes behind a parsed header value."""

from __future__ import annotations

import re

_SURROGATES = re.compile("[\ud800-\udfff]")
_HEADER_CONTROLS = re.compile("[\x00-\x1f\x7f]+")
_BODY_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_header_text(text: str) -> str:
    return _HEADER_CONTROLS.sub(" ", _SURROGATES.sub("\ufffd", text)).strip()


def clean_body_text(text: str) -> str:
    """Text safe to store and export: one newline style, no NUL or control characters, no lone surrogates."""
    text = _SURROGATES.sub("\ufffd", text).replace("\r\n", "\n").replace("\r", "\n")
    return _BODY_CONTROLS.sub("", text).lstrip("\ufeff")


def _raw_bytes(value: str) -> bytes:
    """Undo the surrogateescape decoding the bytes parser applied, giving back the bytes on the wire."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        pass
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace")
