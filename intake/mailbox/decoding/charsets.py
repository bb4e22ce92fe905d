"""Charsets: the codec a declared label means, and bytes decoded with it, a fallback chain or a guess."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer

from intake.mailbox.decoding.guessing import (
    almost_utf8,
    decode_single_byte,
    iso2022_codecs,
    plausible_cjk,
    single_byte_codec,
)

# Below this size charset_normalizer guesses worse than replacement characters would.
DETECT_MIN_BYTES = 40


# Labels Python does not know at all.
_LABEL_ALIASES = {
    "x-gbk": "gbk",
    "csgb2312": "gb2312",
    "gb_2312-80": "gb2312",
    "x-big5": "big5",
    "cn-big5": "big5",
    "csbig5": "big5",
    "x-x-big5": "big5",
    "x-euc-cn": "gb2312",
}
# Mailers label text with the narrow standard and then type characters only the superset has
# (镕 喆 堃 under "gb2312", HKSCS characters under "big5", Windows quotes under "iso-8859-1").
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
}
# Codecs that exist in Python but are not text charsets a mailer could mean.
_UNSAFE_CODECS = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined", "mbcs", "oem"}
_FALLBACK_CHAIN = ("utf-8", "gb18030", "big5hkscs")
# Fallbacks that must read as Chinese to be taken when the label did not name them.
_CJK_GUESSES = {"gb18030", "big5hkscs"}


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str
    lossy: bool
    declared: str | None = None


def _lookup_codec(label: object) -> str | None:
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    if not isinstance(label, str):
        return None
    label = label.strip().strip("\"'").strip().lower()
    if not label or len(label) > 40:
        return None
    label = _LABEL_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _UNSAFE_CODECS:
        return None
    return info.name


def normalize_charset(label: object) -> str | None:
    """The Python codec to decode a declared charset label with, widened to its superset; None if unknown."""
    codec = _lookup_codec(label)
    return _SUPERSETS.get(codec, codec) if codec else None


@lru_cache(maxsize=64)
def _is_ascii_superset(codec: str) -> bool:
    # UTF-7, UTF-16, ISO-2022 and EBCDIC give ASCII bytes another meaning.
    probe = bytes(range(128))
    try:
        return probe.decode(codec) == probe.decode("ascii")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return False


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None


def decode_bytes(data: bytes, declared: object = None, *, detect: bool = True) -> Decoded:
    """Decode with the declared label's superset, then utf-8, gb18030, big5hkscs, then a guess, then lossily.

    ISO-2022 is recognised by its escape sequences; a GB18030 or Big5 reading the label did not ask
    for is taken only when it reads as Chinese; 8-bit text with no label (or a 7-bit one) that
    looks Latin or Cyrillic is read as Windows-1252/1251 or KOI8-R; UTF-8 with a damaged byte keeps
    the rest of its text (lossy)."""
    codec = _lookup_codec(declared)
    label = _SUPERSETS.get(codec, codec) if codec else None
    declared_text = declared.decode("ascii", "replace") if isinstance(declared, bytes) else declared
    if not data:
        return Decoded("", label or "us-ascii", False, declared_text)
    if data.isascii():
        # ISO-2022 is 7-bit: its escape sequences, not 8-bit bytes, say it is not ASCII.
        for candidate in iso2022_codecs(data, label):
            text = _try_decode(data, candidate)
            if text is not None:
                return Decoded(text, candidate, False, declared_text)
    if data.isascii() and (label is None or _is_ascii_superset(label)):
        recorded = "us-ascii" if label in (None, "cp1252") else label
        return Decoded(data.decode("ascii"), recorded, False, declared_text)
    # No label, or a 7-bit one that 8-bit bytes prove wrong.
    unlabelled = label is None or label.startswith("iso2022")
    rejected = False
    for candidate in _candidates(codec, label):
        text = _try_decode(data, candidate)
        if text is None and candidate == "utf-8" and (unlabelled or label == "utf-8" or codec == "ascii"):
            text = almost_utf8(data)
            if text is not None:
                # One damaged byte in a UTF-8 text: that byte replaced, not the whole text misread.
                return Decoded(text, candidate, True, declared_text)
        if text is None:
            continue
        if candidate in _CJK_GUESSES and candidate != label and not plausible_cjk(text, candidate):
            rejected = True  # Latin or Cyrillic bytes that happen to pair up as Chinese
            continue
        return Decoded(text, candidate, False, declared_text)
    if rejected:
        return _single_byte(data, declared_text, single_byte_codec(data) or "cp1252")
    single_byte = single_byte_codec(data) if unlabelled else None
    if single_byte:
        # Undeclared (or declared 7-bit) Latin or Cyrillic text nothing else reads: read as its
        # writer's mailer shows it, where a guesser picks among look-alike code pages and U+FFFD
        # would lose every accented letter.
        return _single_byte(data, declared_text, single_byte)
    if detect and len(data) >= DETECT_MIN_BYTES:
        guessed = _detect(data)
        if guessed is not None:
            return Decoded(guessed[0], guessed[1], False, declared_text)
    final = label or "utf-8"
    try:
        return Decoded(data.decode(final, "replace"), final, True, declared_text)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return Decoded(data.decode("utf-8", "replace"), "utf-8", True, declared_text)


def _single_byte(data: bytes, declared_text: str | None, codec: str) -> Decoded:
    return Decoded(decode_single_byte(data, codec), codec, False, declared_text)


def _candidates(codec: str | None, label: str | None) -> list[str]:
    if codec == "ascii":
        # 8-bit bytes prove a us-ascii label wrong; in this mailbox they are far likelier GBK or UTF-8.
        order = list(_FALLBACK_CHAIN) + ["cp1252"]
    elif label == "cp1252":
        # cp1252 accepts almost any byte, so a strict success proves nothing; real Latin-1 text is
        # practically never valid multi-byte UTF-8, so UTF-8 goes first.
        order = ["utf-8", "cp1252"]
    elif label:
        order = [label]
    else:
        order = []
    order += _FALLBACK_CHAIN
    return list(dict.fromkeys(order))


def _detect(data: bytes) -> tuple[str, str] | None:
    try:
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            return None
        return str(best), normalize_charset(best.encoding) or best.encoding
    except Exception:  # a guesser must never turn a readable message into a failure
        return None


def _decode_unlabelled(data: bytes, hint: str | None) -> str:
    """Raw 8-bit header bytes: UTF-8 first (GBK bytes almost never pass strict UTF-8, the reverse
    often passes strict GBK as mojibake), then the body's charset as a hint, then the chain."""
    if data.isascii():
        return decode_bytes(data).text if iso2022_codecs(data, None) else data.decode("ascii")
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text
    return decode_bytes(data, hint, detect=False).text
