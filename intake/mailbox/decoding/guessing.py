"""Guesses for bytes whose label is missing or proven wrong: ISO-2022 escape sequences."""

from __future__ import annotations

import re

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
