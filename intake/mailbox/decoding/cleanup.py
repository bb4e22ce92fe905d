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


def unflow_delsp(text: str) -> str:
    """format=flowed text with DelSp=yes (RFC 3676) joined as its writer typed it: a line ending in
    a space continues on the next line of the same quote depth, and that space is the sender
    client's, not the writer's (Chinese has no spaces between words)."""
    out: list[str] = []
    paragraph: str | None = None
    depth = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        quotes = len(line) - len(line.lstrip(">"))
        content = line[quotes:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        if paragraph is not None and quotes != depth:
            out.append(_quoted(paragraph, depth))
            paragraph = None
        paragraph, depth = (paragraph or "") + content, quotes
        if content.endswith(" ") and content != "-- ":  # a soft line break ("-- " signs a signature)
            paragraph = paragraph[:-1]
            continue
        out.append(_quoted(paragraph, depth))
        paragraph = None
    if paragraph is not None:
        out.append(_quoted(paragraph, depth))
    return "\n".join(out)


def _quoted(text: str, depth: int) -> str:
    return ">" * depth + " " + text if depth else text
