"""HTML bodies: sanitized for staff to see, and turned into readable plain text."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3

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
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
    "p",
    "li",
    "dt",
    "dd",
    "tr",
    "td",
    "th",
    "option",
    "a",
    "b",
    "big",
    "code",
    "em",
    "font",
    "i",
    "nobr",
    "s",
    "small",
    "strike",
    "strong",
    "tt",
    "u",
    "span",
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
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tr",
    "ul",
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
