"""Decode one raw mailbox message (bytes) into a ParsedMessage: charsets, headers, bodies, attachments.
Pure logic, no server and no database; the caller keeps the raw bytes and quarantines what we refuse."""
from __future__ import annotations

import binascii
import codecs
import html as html_lib
import io
import logging
import mimetypes
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import utils as email_utils
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import charset_normalizer
import nh3
from tnefparse.tnef import TNEF

from intake.mailbox import automail

# tnefparse logs a warning for every property of a damaged stream (billions for a forged count);
# a failed unpack is already visible to the caller as the winmail.dat kept as an attachment.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

DEFAULT_MAX_DEPTH = 20
DEFAULT_MAX_PARTS = 500
DEFAULT_MAX_HEADER_BYTES = 64 * 1024

# Below this size charset_normalizer guesses worse than replacement characters would.
DETECT_MIN_BYTES = 40
MAX_FILENAME_BYTES = 200
MAX_MESSAGE_IDS = 200
# A real winmail.dat needs a few thousand traced events; see _with_line_budget.
TNEF_LINE_BUDGET = 1_000_000
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


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


# ---------------------------------------------------------------------------------------------
# Charsets

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
    """Decode with the declared label's superset, then utf-8, gb18030, big5hkscs, then a guess, then lossily."""
    codec = _lookup_codec(declared)
    label = _SUPERSETS.get(codec, codec) if codec else None
    declared_text = declared.decode("ascii", "replace") if isinstance(declared, bytes) else declared
    if not data:
        return Decoded("", label or "us-ascii", False, declared_text)
    if data.isascii() and (label is None or _is_ascii_superset(label)):
        recorded = "us-ascii" if label in (None, "cp1252") else label
        return Decoded(data.decode("ascii"), recorded, False, declared_text)
    for candidate in _candidates(codec, label):
        text = _try_decode(data, candidate)
        if text is not None:
            return Decoded(text, candidate, False, declared_text)
    if detect and len(data) >= DETECT_MIN_BYTES:
        guessed = _detect(data)
        if guessed is not None:
            return Decoded(guessed[0], guessed[1], False, declared_text)
    final = label or "utf-8"
    try:
        return Decoded(data.decode(final, "replace"), final, True, declared_text)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return Decoded(data.decode("utf-8", "replace"), "utf-8", True, declared_text)


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
        return data.decode("ascii")
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text
    return decode_bytes(data, hint, detect=False).text


# ---------------------------------------------------------------------------------------------
# Text clean-up

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


def _latin1_bytes(value: str) -> bytes:
    # RFC 2231 values come back percent-decoded one byte per character (latin-1).
    try:
        return value.encode("latin-1", "surrogateescape")
    except UnicodeEncodeError:
        return _raw_bytes(value)


_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def _unfold(raw: bytes) -> bytes:
    return _FOLD.sub(b"", raw)


# ---------------------------------------------------------------------------------------------
# Headers (RFC 2047 and raw 8-bit)

_ENCODED_WORD = re.compile(rb"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_b(data: bytes) -> bytes:
    data = _NOT_BASE64.sub(b"", data)
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return b""


def _decode_q(data: bytes) -> bytes:
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))


def decode_header(value: str | bytes | None, hint: str | None = None) -> str:
    """Decode a header value: RFC 2047 words (adjacent same-charset words joined as bytes first,
    so a character split across two words survives) and raw 8-bit bytes outside them."""
    if value is None:
        return ""
    raw = _unfold(value if isinstance(value, bytes) else _raw_bytes(str(value)))
    pieces: list[list] = []  # [charset or None for literal text, bytearray]
    pos = 0
    for match in _ENCODED_WORD.finditer(raw):
        literal = raw[pos:match.start()]
        between_words = pieces and pieces[-1][0] is not None and literal.strip(b" \t") == b""
        if literal and not between_words:
            pieces.append([None, bytearray(literal)])
        charset = match.group(1).split(b"*", 1)[0].decode("ascii", "replace")
        key = normalize_charset(charset) or charset.lower()
        text = match.group(3)
        data = _decode_b(text) if match.group(2) in b"bB" else _decode_q(text)
        if pieces and pieces[-1][0] == key:
            pieces[-1][1] += data
        else:
            pieces.append([key, bytearray(data)])
        pos = match.end()
    if raw[pos:]:
        pieces.append([None, bytearray(raw[pos:])])
    out = []
    for key, data in pieces:
        if key is None:
            out.append(_decode_unlabelled(bytes(data), hint))
        else:
            out.append(decode_bytes(bytes(data), key, detect=False).text)
    return _clean_header_text("".join(out))


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, exactly as received (surrogate-escaped), or None."""
    wanted = name.lower()
    try:
        for key, value in msg.raw_items():
            if str(key).lower() == wanted:
                return str(value)
    except Exception:  # a malformed header list must not stop the rest of the message
        return None
    return None


_ADDR_IN_BRACKETS = re.compile(rb"<([^<>]*)>\s*$")
# Bounded repeats: an unbounded run before "@" makes the search quadratic on a long header.
_ADDR_LOOSE = re.compile(rb"[^\s<>\"',;:()\[\]]{1,64}@[^\s<>\"',;:()\[\]]{1,255}")
_ADDR_LIST_ITEM = re.compile(rb'(?:"[^"]*"|<[^<>]*>|[^,"<])+')


def _clean_addr(addr: bytes | str) -> str:
    if isinstance(addr, str):
        addr = _raw_bytes(addr)
    text = addr.decode("utf-8", "replace").strip().strip("<>").strip().lower()
    return _clean_header_text(text).replace(" ", "")


def parse_addresses(value: str | None, hint: str | None = None) -> list[tuple[str, str]]:
    """(display name, lowercase address) pairs; raw 8-bit names are split by hand since the stdlib
    tokenizer trips on GBK trail bytes that look like '@' or '['."""
    if not value:
        return []
    raw = _unfold(_raw_bytes(value))
    pairs: list[tuple[bytes | str, bytes | str]] = []
    if raw.isascii():
        try:
            pairs = list(email_utils.getaddresses([raw.decode("ascii")]))
        except Exception:  # the stdlib address parser raises on some hostile inputs
            pairs = []
    if not raw.isascii() or not any(addr for _, addr in pairs):
        pairs = [_split_8bit_address(item) for item in _ADDR_LIST_ITEM.findall(raw)]
    result = []
    for name, addr in pairs:
        clean_name = decode_header(name, hint).strip().strip('"').strip()
        clean_addr = _clean_addr(addr)
        if clean_name or clean_addr:
            result.append((clean_name, clean_addr))
    return result


def _split_8bit_address(item: bytes) -> tuple[bytes, bytes]:
    match = _ADDR_IN_BRACKETS.search(item)
    if match:
        return item[:match.start()].strip(), match.group(1)
    loose = _ADDR_LOOSE.search(item)
    if loose:
        return (item[:loose.start()] + item[loose.end():]).strip(), loose.group(0)
    return item.strip(), b""


_MSG_ID = re.compile(r"<([^<>]*)>")


def parse_message_ids(value: str | None) -> list[str]:
    """Message ids without angle brackets, kept as sent even when malformed (e.g. '[x@microsoft.com]')."""
    if not value:
        return []
    text = _clean_header_text(_unfold(_raw_bytes(value)).decode("utf-8", "replace"))
    ids = [re.sub(r"\s+", "", found) for found in _MSG_ID.findall(text)]
    if not ids:
        ids = [token.strip("<>") for token in re.split(r"[\s,]+", text)]
    ids = [found[:998] for found in ids if found]
    if len(ids) > MAX_MESSAGE_IDS:
        # Keep the thread root and the most recent ancestors.
        ids = ids[:1] + ids[-(MAX_MESSAGE_IDS - 1):]
    return ids


def parse_date(value: str | None) -> datetime | None:
    """An aware datetime; zone-less dates from Chinese mailers are taken as China Standard Time."""
    if not value:
        return None
    text = _clean_header_text(_raw_bytes(value).decode("ascii", "replace"))
    try:
        parsed = email_utils.parsedate_to_datetime(text)
        if parsed.tzinfo is None:  # "-0000": the zone is unknown, RFC 5322 says treat as UTC
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed
    except Exception:  # parsedate raises TypeError, ValueError, IndexError, OverflowError
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA_STANDARD_TIME)


# ---------------------------------------------------------------------------------------------
# HTML

_HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "ol": {"start"},
    "bdo": {"dir"},
}
_LINK_SCHEMES = {"http", "https", "mailto"}
_DROPPED_WITH_CONTENT = {"script", "style", "title", "noscript", "template"}


def _filter_url_attribute(tag: str, attr: str, value: str) -> str | None:
    if attr == "src":
        # Remote images are tracking pixels; only images carried inside the message (cid:) stay.
        return value if value.strip().lower().startswith("cid:") else None
    if attr == "href":
        try:
            scheme = urlsplit(value.strip()).scheme.lower()
        except ValueError:
            return None
        return value if scheme in _LINK_SCHEMES else None
    return value


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^<>]*>")
# Tags that never stay open in the parser's stack: void, implicitly closed, or formatting elements
# bounded by the adoption agency algorithm. Counting them would flag ordinary sloppy HTML.
_NOT_NESTING = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "a", "b", "big", "code", "em", "font", "i",
    "nobr", "s", "small", "strike", "strong", "tt", "u", "span",
}
# html5ever (inside nh3) has quadratic paths: nesting depth (20,000 nested <div>s: 0.5 s,
# 200,000: 90 s), many formatting tags closed by stray end tags, thousands of attributes on one
# tag, and long runs of character references. Mail beyond these bounds is shown as plain text.
MAX_HTML_NESTING = 1000
MAX_HTML_CHARS = 1_000_000
MAX_HTML_TAGS = 25_000
MAX_HTML_REFERENCES = 50_000
_LONG_TAG = re.compile(r"<[A-Za-z/!?][^<>]{8192}")


def _html_too_costly(html: str) -> bool:
    if len(html) > MAX_HTML_CHARS or html.count("&") > MAX_HTML_REFERENCES:
        return True
    if html.count("<") > MAX_HTML_TAGS or _LONG_TAG.search(html):
        return True
    depth = 0
    for match in _TAG.finditer(html):
        if match.group(2).lower() in _NOT_NESTING or match.group(0).endswith("/>"):
            continue
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        if depth > MAX_HTML_NESTING:
            return True
    return False


def sanitize_html(html: str) -> str:
    """HTML safe to show staff: no script, handlers, styles, remote images or non-web links."""
    if _html_too_costly(html):
        return "<pre>" + html_lib.escape(html_to_text(html)) + "</pre>"
    try:
        return nh3.clean(
            html,
            tags=set(nh3.ALLOWED_TAGS) - _DROPPED_WITH_CONTENT,
            clean_content_tags=_DROPPED_WITH_CONTENT,
            attributes=_HTML_ATTRIBUTES,
            attribute_filter=_filter_url_attribute,
            url_schemes=_LINK_SCHEMES | {"cid"},
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    except Exception:  # fall back to showing the markup as text rather than losing the mail
        return "<pre>" + html_lib.escape(html) + "</pre>"


_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}
# Blocks that read as paragraphs get a blank line after them; list items and rows only a newline.
_PARAGRAPH_TAGS = {"blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "pre", "table", "ul"}
_CELL_TAGS = {"td", "th"}
_SPACE_RUN = re.compile("[ \t\r\n\f\xa0]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skip += 1
        elif tag == "pre":
            self.pre += 1
        self.handle_startendtag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self._ensure_newlines(1)
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_WITH_CONTENT:
            self.skip = max(0, self.skip - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BLOCK_TAGS:
            self._ensure_newlines(2 if tag in _PARAGRAPH_TAGS else 1)

    def _ensure_newlines(self, wanted: int) -> None:
        tail = "".join(self.parts[-8:]).rstrip(" \t")
        if not tail and len(self.parts) <= 8:
            return  # nothing written yet: no leading blank lines
        have = len(tail) - len(tail.rstrip("\n"))
        if have < wanted:
            self.parts.append("\n" * (wanted - have))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else _SPACE_RUN.sub(" ", data))


def _strip_tags(html: str) -> str:
    return html_lib.unescape(re.sub(r"<[^<>]*>", "\n", html))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: blocks and <br> become newlines, script and style vanish."""
    if _html_too_costly(html):
        text = _strip_tags(html)
    else:
        # Python's HTMLParser is quadratic on unterminated markup ("<a<a<a..."); html5ever is not,
        # and what nh3 writes back is tidy, so the Python parser only ever reads well-formed HTML.
        tidy = nh3.clean(
            html,
            tags=_BLOCK_TAGS | _CELL_TAGS | {"br"},
            clean_content_tags=_DROPPED_WITH_CONTENT,
            attributes={},
            strip_comments=True,
        )
        extractor = _TextExtractor()
        try:
            extractor.feed(tidy)
            extractor.close()
            text = "".join(extractor.parts)
        except Exception:  # HTMLParser raises on some markup even when tidy; strip tags crudely
            text = _strip_tags(tidy)
    lines = [line.replace("\xa0", " ").strip(" \t") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


# ---------------------------------------------------------------------------------------------
# File names

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


# ---------------------------------------------------------------------------------------------
# Parsing


class _RawPolicy(Compat32):
    """compat32 that hands back header values as received (surrogate-escaped), only unfolded,
    so parameter parsing keeps raw 8-bit bytes instead of turning them into U+FFFD."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return re.sub(r"\r?\n(?=[ \t])", "", value)


_RAW_POLICY = _RawPolicy()
_EML_POLICY = _RAW_POLICY.clone(linesep="\r\n")
_HEADER_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]*:")  # the same test the stdlib feedparser uses
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}
_FORWARD_TYPES = {"message/rfc822", "message/global"}
_REPORT_TYPES = {"message/delivery-status", "message/global-delivery-status", "message/disposition-notification"}


@dataclass
class _Limits:
    max_depth: int
    max_parts: int
    max_header_bytes: int


@dataclass
class _Collected:
    texts: list[Decoded] = field(default_factory=list)
    htmls: list[Decoded] = field(default_factory=list)
    fallback_texts: list[Decoded] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)


def parse_message(
    raw: bytes,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_parts: int = DEFAULT_MAX_PARTS,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
) -> ParsedMessage:
    """Parse one message as received. Raises HostileMessage past a limit and MailParseError for
    anything else that goes wrong; no other exception escapes."""
    if isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise MailParseError("raw message must be bytes, not %s" % type(raw).__name__)
    limits = _Limits(max_depth, max_parts, max_header_bytes)
    try:
        return _parse(raw, limits)
    except MailParseError:
        raise
    except RecursionError as exc:
        raise HostileMessage("MIME structure too deep to parse") from exc
    except MemoryError as exc:
        raise HostileMessage("message too large to parse") from exc
    except Exception as exc:  # the caller quarantines on MailParseError; nothing else may escape
        raise MailParseError("unexpected %s: %s" % (type(exc).__name__, exc)) from exc


def _parse(raw: bytes, limits: _Limits) -> ParsedMessage:
    header_block = _scan_header_block(raw, limits.max_header_bytes)
    msg = BytesParser(policy=_RAW_POLICY).parsebytes(raw)
    _check_structure(msg, limits)
    hint = _declared_text_charset(msg)
    collected = _Collected()
    _walk(msg, collected, hint)
    if len(collected.attachments) > limits.max_parts:
        raise HostileMessage("more than %d attachments" % limits.max_parts)
    text, html, body = _assemble_body(collected)
    if body and body.charset not in ("us-ascii", None):
        hint = body.charset
    return _build(msg, raw, header_block, hint, text, html, body, collected)


def _build(
    msg: Message,
    raw: bytes,
    header_block: bytes,
    hint: str | None,
    text: str,
    html: str | None,
    body: Decoded | None,
    collected: _Collected,
) -> ParsedMessage:
    subject = decode_header(raw_header(msg, "Subject"), hint)
    senders = parse_addresses(raw_header(msg, "From"), hint)
    from_name, from_addr = senders[0] if senders else (None, None)
    reply_to = parse_addresses(raw_header(msg, "Reply-To"), hint)
    in_reply_to = parse_message_ids(raw_header(msg, "In-Reply-To"))
    message_ids = parse_message_ids(raw_header(msg, "Message-ID"))
    is_auto, auto_reason = automail.classify_auto(msg, subject=subject, from_addr=from_addr)
    return ParsedMessage(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=parse_message_ids(raw_header(msg, "References")),
        subject=subject,
        from_name=from_name or None,
        from_addr=from_addr or None,
        reply_to_addr=(reply_to[0][1] or None) if reply_to else None,
        to_addrs=[addr for _, addr in parse_addresses(raw_header(msg, "To"), hint) if addr],
        cc_addrs=[addr for _, addr in parse_addresses(raw_header(msg, "Cc"), hint) if addr],
        date=parse_date(raw_header(msg, "Date")),
        text=text,
        html=html,
        charset=body.charset if body else None,
        declared_charset=body.declared if body else None,
        lossy=any(part.lossy for part in collected.texts + collected.htmls + collected.fallback_texts),
        attachments=collected.attachments,
        headers_raw=clean_body_text(_decode_unlabelled(header_block, hint)).rstrip("\n"),
        is_auto=is_auto,
        auto_reason=auto_reason,
        bounce_recipients=automail.bounce_recipients(msg),
        size=len(raw),
    )


def _scan_header_block(raw: bytes, limit: int) -> bytes:
    """The top-level header block, refusing any header field longer than `limit` bytes before the
    stdlib gets to spend time on it."""
    pos, field_len, first = 0, 0, True
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        line_end = len(raw) if end < 0 else end + 1
        line = raw[pos:line_end].rstrip(b"\r\n")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            field_len += len(line)
        elif _HEADER_FIELD.match(line[:1000]) or (first and line.startswith(b"From ")):
            field_len = len(line)
        else:
            break
        if field_len > limit:
            raise HostileMessage("header field longer than %d bytes" % limit)
        first = False
        pos = line_end
    return raw[:pos]


def _check_structure(msg: Message, limits: _Limits) -> None:
    stack = [(msg, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise HostileMessage("more than %d MIME parts" % limits.max_parts)
        if depth > limits.max_depth:
            raise HostileMessage("MIME nesting deeper than %d" % limits.max_depth)
        for _, value in part.raw_items():
            if len(value) > limits.max_header_bytes:
                raise HostileMessage("header field longer than %d bytes" % limits.max_header_bytes)
        stack.extend((child, depth + 1) for child in _children(part) or [])


def _children(part: Message) -> list[Message] | None:
    """Sub-parts of a multipart or message/* part, None for a leaf. Never calls get_payload() on a
    leaf: for 8-bit payloads it decodes with the declared charset, which may be any codec at all."""
    if not part.is_multipart():
        return None
    return [child for child in part.get_payload() if isinstance(child, Message)]


def _iter_leaves(msg: Message):
    stack = [msg]
    while stack:
        part = stack.pop()
        children = _children(part)
        if children is not None and _content_type(part) not in _FORWARD_TYPES:
            stack.extend(reversed(children))
        else:
            yield part


def _declared_text_charset(msg: Message) -> str | None:
    """The first meaningful charset label on a text part: the hint for raw 8-bit headers and names."""
    for part in _iter_leaves(msg):
        if _content_type(part).startswith("text/"):
            label = normalize_charset(_param(part, "charset"))
            if label and label not in ("cp1252", "utf-8"):
                return label
    return None


_MIME_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")


def _content_type(part: Message) -> str:
    try:
        ctype = part.get_content_type()
    except Exception:  # a hostile Content-Type is treated like a missing one
        return "text/plain"
    # 8-bit bytes or other junk in the type (the stdlib keeps them): invalid, so the RFC 2045 default.
    return ctype if _MIME_TYPE.fullmatch(ctype) else "text/plain"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _param(part: Message, name: str, header: str = "content-type") -> str | tuple | None:
    try:
        value = part.get_param(name, header=header)
    except Exception:  # malformed parameter lists are common in the wild
        return None
    if isinstance(value, tuple) and name == "charset":
        return value[2]
    return value


def _param_text(part: Message, name: str, header: str, hint: str | None) -> str | None:
    value = _param(part, name, header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, percent-decoded value)
        charset, _, text = value
        return _clean_header_text(decode_bytes(_latin1_bytes(str(text)), charset or hint, detect=False).text)
    # Outlook and Foxmail put an RFC 2047 word inside the quotes; old mailers send raw GBK bytes.
    return decode_header(str(value), hint)


def _filename(part: Message, hint: str | None) -> str | None:
    for header, name in (("content-disposition", "filename"), ("content-type", "name")):
        text = _param_text(part, name, header, hint)
        if text and text.strip():
            return text
    return None


def _content_id(part: Message) -> str | None:
    value = raw_header(part, "Content-ID")
    if not value:
        return None
    text = _clean_header_text(_raw_bytes(value).decode("utf-8", "replace")).strip("<> ")
    return text or None


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding yields the bytes as they are
        data = None
    return data if isinstance(data, bytes) else b""


def _walk(part: Message, acc: _Collected, hint: str | None) -> None:
    ctype = _content_type(part)
    if ctype in _REPORT_TYPES:
        return  # read by automail.bounce_recipients
    children = _children(part)
    if children is not None:
        if ctype in _FORWARD_TYPES or ctype.startswith("message/"):
            acc.attachments.append(_forwarded_attachment(part, children, hint))
        elif ctype == "multipart/alternative":
            _walk_alternative(children, acc, hint)
        else:
            for child in children:
                _walk(child, acc, hint)
        return
    _walk_leaf(part, ctype, acc, hint)


def _walk_alternative(children: list[Message], acc: _Collected, hint: str | None) -> None:
    # The last alternative of each kind is the richest (RFC 2046); attachments from any alternative
    # (e.g. images of a multipart/related HTML) are all kept.
    best_texts: list[Decoded] = []
    best_htmls: list[Decoded] = []
    for child in children:
        sub = _Collected()
        _walk(child, sub, hint)
        acc.attachments.extend(sub.attachments)
        acc.fallback_texts.extend(sub.fallback_texts)
        best_texts = sub.texts or best_texts
        best_htmls = sub.htmls or best_htmls
    acc.texts.extend(best_texts)
    acc.htmls.extend(best_htmls)


def _walk_leaf(part: Message, ctype: str, acc: _Collected, hint: str | None) -> None:
    filename = _filename(part, hint)
    disposition = _disposition(part)
    is_body_type = ctype in ("text/plain", "text/html") or ctype.startswith("multipart/")
    if is_body_type and disposition != "attachment" and filename is None:
        data = _payload_bytes(part)
        declared = _param(part, "charset")
        if ctype == "text/html" and not declared:
            declared = _meta_charset(data)
        decoded = decode_bytes(data, declared)
        (acc.htmls if ctype == "text/html" else acc.texts).append(decoded)
        return
    payload = _payload_bytes(part)
    if ctype in _TNEF_TYPES or (filename or "").lower() == "winmail.dat":
        if _unpack_tnef(payload, acc, hint):
            return
    content_id = _content_id(part)
    acc.attachments.append(
        ParsedAttachment(
            filename=sanitize_filename(filename, _default_name(ctype)),
            content_type=ctype,
            payload=payload,
            is_inline=disposition == "inline" or (disposition is None and content_id is not None),
            content_id=content_id,
        )
    )


def _default_name(ctype: str) -> str:
    if ctype in _TNEF_TYPES:
        return "winmail.dat"
    extension = mimetypes.guess_extension(ctype) or (".txt" if ctype.startswith("text/") else ".bin")
    return "attachment" + extension


def _forwarded_attachment(part: Message, children: list[Message], hint: str | None) -> ParsedAttachment:
    inner = children[0] if children else Message()
    subject = decode_header(raw_header(inner, "Subject"), hint)
    # A subject is not a path: its slashes are part of the words, not directories to strip.
    name = re.sub(r"[/\\]", "_", subject).strip() or _filename(part, hint) or "forwarded"
    if not name.lower().endswith(".eml"):
        name += ".eml"
    return ParsedAttachment(
        filename=sanitize_filename(name, "forwarded.eml"),
        content_type="message/rfc822",
        payload=_message_bytes(inner),
        is_inline=False,
        content_id=_content_id(part),
    )


def _message_bytes(msg: Message) -> bytes:
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0, policy=_EML_POLICY).flatten(msg)
    except Exception:  # regenerating a broken inner message can fail; keep what was written
        pass
    return buffer.getvalue()


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


def _unpack_tnef(payload: bytes, acc: _Collected, hint: str | None) -> bool:
    """Replace a winmail.dat by the files and body inside it; False if it cannot be read."""
    try:
        files, body, codepage = _with_line_budget(_read_tnef, payload)
    except (Exception, _TnefTooComplex):  # tnefparse raises many kinds of errors on damaged input
        return False
    if not files and not body:
        return False
    for name, data in files:
        acc.attachments.append(
            ParsedAttachment(
                filename=sanitize_filename(name),
                content_type=_guess_type(name),
                payload=data if isinstance(data, bytes) else b"",
            )
        )
    if isinstance(body, str):  # already decoded by tnefparse with the message's internet codepage
        acc.fallback_texts.append(Decoded(body, normalize_charset(codepage) or "utf-8", False))
    elif body:
        acc.fallback_texts.append(decode_bytes(body.rstrip(b"\x00"), codepage or hint))
    return True


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


def _assemble_body(collected: _Collected) -> tuple[str, str | None, Decoded | None]:
    """Text prefers text/plain (HTML converted only when no plain text has content); the HTML is kept sanitized."""
    plain = [part for part in collected.texts if part.text.strip()]
    html_source = "\n".join(part.text for part in collected.htmls)
    html = sanitize_html(clean_body_text(html_source)) if collected.htmls else None
    if plain:
        text, body = "\n".join(part.text.rstrip("\r\n") for part in plain), plain[0]
    elif collected.htmls:
        text, body = html_to_text(html_source), collected.htmls[0]
    elif collected.fallback_texts:
        text = "\n".join(part.text.rstrip("\r\n") for part in collected.fallback_texts)
        body = collected.fallback_texts[0]
    else:
        text, body = "", (collected.texts[0] if collected.texts else None)
    return clean_body_text(text).strip("\n"), html.strip() if html else html, body
