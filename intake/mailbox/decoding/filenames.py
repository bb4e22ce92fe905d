"""Attachment file names safe to store and offer for download."""

from __future__ import annotations

import re
import unicodedata

MAX_FILENAME_BYTES = 200


_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)
_FILENAME_FORBIDDEN = re.compile(r'[<>:"|?*]')


def sanitize_filename(name: str | None, default: str = "attachment") -> str:
    """A file name safe to store and offer for download: no path, no control or bidi characters,
    bounded length; Chinese is kept."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    text = re.split(r"[/\\]", text)[-1]
    text = _FILENAME_FORBIDDEN.sub("_", re.sub(r"\s+", " ", text)).strip(" .")
    if not text:
        return default
    if _WINDOWS_RESERVED.match(text):
        text = "_" + text
    return _truncate_filename(text)


def _truncate_filename(text: str) -> str:
    if len(text.encode("utf-8")) <= MAX_FILENAME_BYTES:
        return text
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 16 or not stem:
        stem, ext = text, ""
    suffix = "." + ext if ext else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
    while len(stem.encode("utf-8")) > budget:
        stem = stem[:-1]
    return stem.rstrip(" .") + suffix
