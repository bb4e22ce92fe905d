"""A mail's sanitized HTML as staff see it: `cid:` images pointed at the item's own stored
inline images, and the links of the message listed with their real targets."""

import html as html_lib
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Attachment

# Shown inside the item's origin, so only formats a browser decodes as pictures and nothing
# else: never SVG (it is a document that can carry script), never anything sniffed.
RASTER_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
MAX_LINKS = 200
# How long the signed address of an inline picture works (the frame fetches it on load).
IMAGE_URL_SECONDS = 3600
MAX_LINK_TEXT = 200

_CID_SRC = re.compile(r"""\ssrc\s*=\s*(?:"\s*cid:([^"]*)"|'\s*cid:([^']*)'|cid:([^\s>"']+))""", re.IGNORECASE)


def is_raster_image(content_type: str, head: bytes) -> bool:
    """Whether a stored file is a picture of a type we show inline: the declared type and the
    file's first bytes must agree."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in RASTER_IMAGE_TYPES:
        return False
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    return head.startswith(_MAGIC[content_type])


def _image_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="triage-inline-image")


def image_token(item_id: int, attachment_id: int) -> str:
    """A signature for one picture of one item, put in its address by the (staff-only) body.

    The body's frame is sandboxed into an opaque origin, so the browser sends its requests no
    session cookie (SameSite): the signed address stands in for the staff session there."""
    return _image_signer().dumps([item_id, attachment_id])


def image_token_valid(token: str, item_id: int, attachment_id: int) -> bool:
    if not token:
        return False
    try:
        signed = _image_signer().loads(token, max_age=IMAGE_URL_SECONDS)
    except BadSignature:  # also SignatureExpired
        return False
    return signed == [item_id, attachment_id]


def inline_images(item_id: int) -> dict[str, Attachment]:
    """The item's inline attachments of a raster type, by Content-ID."""
    rows = db.session.scalars(
        select(Attachment).where(
            Attachment.item_id == item_id, Attachment.is_inline.is_(True), Attachment.content_id.is_not(None)
        )
    )
    return {a.content_id: a for a in rows if a.content_type.split(";")[0].strip().lower() in RASTER_IMAGE_TYPES}


def _cid_key(value: str) -> str:
    # RFC 2392: a cid: URL is the Content-ID, URL-encoded, without its angle brackets.
    return unquote(html_lib.unescape(value)).strip().strip("<>").strip()


def point_cid_images(body: str, images: dict[str, Attachment], url_for_image: Callable[[Attachment], str]) -> str:
    """The HTML with every `src="cid:X"` naming one of `images` pointed at `url_for_image`, and
    every other cid: source emptied (it names nothing we show)."""

    def replace(match: re.Match) -> str:
        value = next(g for g in match.groups() if g is not None)
        attachment = images.get(_cid_key(value))
        if attachment is None:
            return ' src=""'
        return ' src="%s"' % html_lib.escape(url_for_image(attachment), quote=True)

    return _CID_SRC.sub(replace, body)


@dataclass(frozen=True)
class MailLink:
    href: str
    text: str


def _safe_href(value: str | None) -> str | None:
    href = (value or "").strip()
    if not href or any(ord(c) < 0x20 or ord(c) == 0x7F for c in href):
        return None
    lowered = href.lower()
    if lowered.startswith(("http://", "https://")) and len(href) > len("https://"):
        return href
    if lowered.startswith("mailto:") and len(href) > len("mailto:"):
        return href
    return None


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[MailLink] = []
        self._open: tuple[str | None, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self._close()
            self._open = (_safe_href(dict(attrs).get("href")), [])
        elif tag == "img" and self._open is not None:
            alt = dict(attrs).get("alt")
            if alt:
                self._open[1].append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._close()

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open[1].append(data)

    def _close(self) -> None:
        if self._open is None:
            return
        href, parts = self._open
        self._open = None
        if href is None:
            return
        text = " ".join(" ".join(parts).split())
        if len(text) > MAX_LINK_TEXT:
            text = text[: MAX_LINK_TEXT - 1] + "…"
        link = MailLink(href=href, text=text)
        if link not in self.links:
            self.links.append(link)

    def close(self) -> None:
        super().close()
        self._close()


def mail_links(body: str | None) -> list[MailLink]:
    """The http, https and mailto links of a mail's HTML, in order, each once: the address it
    really opens and the text the sender wrapped it in."""
    if not body:
        return []
    collector = _LinkCollector()
    try:
        collector.feed(body)
        collector.close()
    except Exception:  # noqa: BLE001 - a link list is a help; the HTML itself is shown anyway
        pass
    return collector.links[:MAX_LINKS]
