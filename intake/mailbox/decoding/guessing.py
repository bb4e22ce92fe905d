"""Guesses for bytes whose label is missing or proven wrong: ISO-2022 escape sequences, whether a
GB18030 or Big5 reading is Chinese at all, and whether 8-bit text looks Latin or Cyrillic."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ESC sequences that switch an ISO-2022 stream into a character set (RFC 1468, 1554, 1557, 2237).
_ISO2022_ESCAPE = re.compile(rb"\x1b(?:\$[@AB]|\$\([@ABCDOPQ]|\$\)C|\([BIJ]|\.[AF])")
_ISO2022_KR_ESCAPE = b"\x1b$)C"
# Japanese mailers label ISO-2022-JP and use katakana or JIS X 0212 from the wider variants.
ISO2022_JP_CHAIN = ("iso2022_jp", "iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2004")


def iso2022_codecs(data: bytes, codec: str | None) -> tuple[str, ...]:
    """The ISO-2022 codecs to try on 7-bit bytes: the label's when it says ISO-2022, those the
    escape sequences point at when it does not; () for plain ASCII."""
    if codec and codec.startswith("iso2022"):
        chain = (codec,) + (ISO2022_JP_CHAIN if codec.startswith("iso2022_jp") else ())
        return tuple(dict.fromkeys(chain))
    if b"\x1b" not in data or not _ISO2022_ESCAPE.search(data):
        return ()
    return ("iso2022_kr",) if _ISO2022_KR_ESCAPE in data else ISO2022_JP_CHAIN


# Below this many valid multi-byte sequences a "mostly UTF-8" reading proves nothing.
ALMOST_UTF8_MIN_SEQUENCES = 8
# At most one bad byte per this many valid multi-byte sequences.
ALMOST_UTF8_SEQUENCES_PER_ERROR = 50


def almost_utf8(data: bytes) -> str | None:
    """UTF-8 with its few invalid bytes replaced by U+FFFD: text that is clearly UTF-8 (many valid
    multi-byte sequences, or a last character cut short) but for a damaged byte or two; None when
    the bytes do not read as UTF-8."""
    text = data.decode("utf-8", "replace")
    errors = text.count("\ufffd") - data.count("\ufffd".encode())
    sequences = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    # GBK pairs often form 2-byte UTF-8 sequences by chance, rarely 3-byte ones (as Chinese is).
    cut_short = errors == 1 and sequences and _cut_short(data) and not re.search("[\x80-\u07ff]", text)
    if not cut_short and (
        sequences < ALMOST_UTF8_MIN_SEQUENCES or errors * ALMOST_UTF8_SEQUENCES_PER_ERROR > sequences
    ):
        return None
    return text


def _cut_short(data: bytes) -> bool:
    # The text ends inside a multi-byte character: everything before it is valid UTF-8.
    tail = data.rstrip(b"\r\n \t")
    for size in (1, 2, 3):
        try:
            tail[:-size].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return 0xC2 <= tail[-size] <= 0xF4
    return False


@lru_cache(maxsize=8192)
def _rare(ch: str, codec: str) -> bool:
    """A character outside the everyday set of the codec's script: GB2312 for GB18030, Big5
    proper for Big5-HKSCS."""
    common = "gb2312" if codec == "gb18030" else "big5"
    try:
        ch.encode(common)
        return False
    except UnicodeEncodeError:
        return True


def _is_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def plausible_cjk(text: str, codec: str) -> bool:
    """Whether a GB18030 or Big5 reading of 8-bit bytes reads as Chinese. Latin text read as GB18030
    gives lone characters inside Latin words ('Forma玢o', 'm閏anique') and rare ones next to
    Latin letters ('Dij奱t'); Chinese text gives runs of everyday characters."""
    runs = [(m.start(), m.end()) for m in re.finditer(r"[^\x00-\x7f]+", text)]
    if not runs:
        return True
    suspicious = 0
    for start, end in runs:
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        run = text[start:end]
        if any(unicodedata.category(ch) in ("Co", "Cn") for ch in run):
            return False
        inside_word = end - start == 1 and _is_letter(before) and _is_letter(after)
        rare_by_letter = (_is_letter(before) and _rare(run[0], codec)) or (_is_letter(after) and _rare(run[-1], codec))
        suspicious += inside_word or rare_by_letter
    return suspicious * 2 < len(runs)


_ASCII_LETTER = re.compile(rb"[A-Za-z]")
_CYRILLIC_LETTER = re.compile(rb"[\xc0-\xff]")


def _runs(data: bytes) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(rb"[\x80-\xff]+", data)]


def _ascii_letter_at(data: bytes, index: int) -> bool:
    return 0 <= index < len(data) and (0x41 <= data[index] <= 0x5A or 0x61 <= data[index] <= 0x7A)


def _looks_cyrillic(data: bytes, runs: list[tuple[int, int]]) -> bool:
    # Cyrillic letters are 0xC0-0xFF in both Windows-1251 and KOI8-R, and come as whole words.
    high = sum(end - start for start, end in runs)
    letters = len(_CYRILLIC_LETTER.findall(data))
    in_words = sum(end - start for start, end in runs if end - start >= 3)
    # Several words with spaces between them: a damaged Chinese text is one long run.
    spaced = sum(1 for (_, end), (start, _) in zip(runs, runs[1:]) if b" " in data[end:start])
    return spaced >= 1 and spaced * 2 >= len(runs) - 1 and letters * 10 >= high * 9 and in_words * 2 > high


def _looks_latin(data: bytes, runs: list[tuple[int, int]]) -> bool:
    # Accented letters come one or two at a time, inside or next to Latin words, among many more
    # unaccented ones.
    high = sum(end - start for start, end in runs)
    if high * 2 > len(_ASCII_LETTER.findall(data)):
        return False
    in_words = sum(
        1
        for start, end in runs
        if end - start <= 2 and (_ascii_letter_at(data, start - 1) or _ascii_letter_at(data, end))
    )
    return in_words * 2 > len(runs)


def single_byte_codec(data: bytes) -> str | None:
    """The single-byte codec 8-bit text reads as when it looks like Latin or Cyrillic writing:
    Windows-1252, or for Cyrillic words Windows-1251 or KOI8-R (told apart by where the lower-case
    letters are); None when it looks like neither (e.g. a damaged multi-byte text)."""
    runs = _runs(data)
    if runs and _looks_cyrillic(data, runs):
        # Lower case is 0xE0-0xFF in Windows-1251 and 0xC0-0xDF in KOI8-R; text is mostly lower case.
        upper_half = len(re.findall(rb"[\xe0-\xff]", data))
        lower_half = len(re.findall(rb"[\xc0-\xdf]", data))
        return "cp1251" if upper_half >= lower_half else "koi8_r"
    if runs and _looks_latin(data, runs):
        return "cp1252"
    return None


def decode_single_byte(data: bytes, codec: str) -> str:
    """Windows-1252 leaves five bytes undefined: those are read as ISO-8859-1 (C1 controls)."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return data.decode("latin-1") if codec == "cp1252" else data.decode(codec, "replace")
