"""A mail body in the item view: its cid: pictures served from the item's own inline raster
images (never SVG, never sniffed), and its links listed with their real targets."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Attachment, FeedbackItem
from intake.mailbox.models import ThreadEntry
from intake.triage.mailbody import MailLink, is_raster_image, mail_links, point_cid_images
from tests.factories import PNG_1X1, create_item, upload

sqlite = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"


@pytest.fixture
def signed_in(client, auth, users):
    assert auth.login("staff").status_code == 302
    return client


@pytest.fixture
def mail_item(app):
    """The item made of a mail with a PNG, an SVG and an HTML-as-PNG part inline, and links."""
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox.jobs import parse_inbound

    with app.app_context():
        row = mailbox_receiving.store_imported((MAIL / "triage_cid_images_and_links.eml").read_bytes())
        db.session.commit()
        assert parse_inbound(row.id) == "new item"
        item = db.session.scalar(select(FeedbackItem).order_by(FeedbackItem.id.desc()))
        entry = db.session.scalar(select(ThreadEntry).where(ThreadEntry.item_id == item.id))
        return {
            "item": item.id,
            "entry": entry.id,
            "files": {a.original_name: (a.id, a.content_id, a.is_inline) for a in item.attachments},
        }


@sqlite
def test_mail_attachments_keep_their_content_id(mail_item):
    assert mail_item["files"]["photo.png"][1:] == ("photo.2x3@zxzx", True)
    assert mail_item["files"]["vector.svg"][1:] == ("vector@zxzx", True)


@sqlite
def test_the_body_points_cid_pictures_at_the_inline_route_and_drops_the_rest(signed_in, mail_item):
    item, files = mail_item["item"], mail_item["files"]
    response = signed_in.get(f"/staff/thread/{mail_item['entry']}/body")
    body = response.get_data(as_text=True)
    photo = files["photo.png"][0]
    assert re.search(rf'<img src="/staff/items/{item}/inline/{photo}\?t=[\w.-]+" alt="照片">', body)
    assert '<img src="" alt="矢量图">' in body  # no SVG is ever pointed at
    # Declared a PNG: pointed at the route, which looks at the bytes and refuses (see below).
    assert re.search(rf'<img src="/staff/items/{item}/inline/{files["fake.png"][0]}\?t=[\w.-]+" alt="假图片">', body)
    assert "cid:" not in body and "tracker.example" not in body
    csp = response.headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp and "cid:" not in csp and "http" not in csp


@sqlite
def test_only_the_items_inline_raster_pictures_are_served_inline(app, signed_in, mail_item):
    item, files = mail_item["item"], mail_item["files"]
    response = signed_in.get(f"/staff/items/{item}/inline/{files['photo.png'][0]}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data.startswith(b"\x89PNG")
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # SVG is a document that can run script; an "image/png" part holding HTML is not a picture.
    for name in ("vector.svg", "fake.png"):
        response = signed_in.get(f"/staff/items/{item}/inline/{files[name][0]}")
        assert response.status_code == 404, name
        assert "inline" not in response.headers.get("Content-Disposition", "")
    # The SVG still downloads, as a file, from the attachment list.
    download = signed_in.get(f"/staff/attachments/{files['vector.svg'][0]}")
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # Another item's picture, or a picture attached rather than inline, is not served here.
    with app.app_context():
        other = create_item(uploads=[upload("照片.png", PNG_1X1)])
        db.session.commit()
        attached = other.attachments[0].id
        other_id = other.id
    assert signed_in.get(f"/staff/items/{other_id}/inline/{files['photo.png'][0]}").status_code == 404
    assert signed_in.get(f"/staff/items/{other_id}/inline/{attached}").status_code == 404
    assert signed_in.get(f"/staff/items/{item}/inline/999999").status_code == 404


@sqlite
def test_the_item_page_lists_the_links_with_their_real_targets(signed_in, mail_item):
    html = signed_in.get(f"/staff/items/{mail_item['item']}").get_data(as_text=True)
    links = re.search(r'<details class="mail-links".*?</details>\s*</li>\s*</ol>', html, re.S).group(0)
    assert "https://evil.example/login?next=%2F" in links and "https://www.gov.cn/" in links
    assert "mailto:wangwu@example.cn" in links and "javascript" not in links
    anchors = re.findall(r"<a [^>]*>", links)
    assert len(anchors) == 3
    for anchor in anchors:
        assert 'target="_blank"' in anchor and 'rel="noopener noreferrer"' in anchor
    # Each anchor sits behind its own confirm step.
    assert links.count('<details class="link-confirm">') == 3


def test_links_are_only_web_and_mail_addresses():
    hostile = (
        '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a>'
        '<a href="java\tscript:alert(1)">c</a><a href="data:text/html,x">d</a><a href="vbscript:x">e</a>'
        '<a href="http://">f</a><a href="/relative">g</a><a>h</a>'
        '<a href="https://ok.example/?a=1&amp;b=2"> 看 <b>这里</b>\n</a>'
        '<a href="MAILTO:x@example.cn"><img alt="信"></a>'
        '<a href="https://ok.example/?a=1&amp;b=2"> 看 <b>这里</b></a>'
    )
    assert mail_links(hostile) == [
        MailLink("https://ok.example/?a=1&b=2", "看 这里"),
        MailLink("MAILTO:x@example.cn", "信"),
    ]
    assert mail_links(None) == [] and mail_links("<a href='https://x.example/'") == []


def test_cid_sources_are_matched_by_content_id_and_url_decoded():
    photo = Attachment(id=7, content_id="a b@x")
    html = '<img src="cid:a%20b@x"><img src=\'cid:&lt;a b@x&gt;\'><img src="cid:other"><img data-src="cid:a%20b@x">'
    assert point_cid_images(html, {"a b@x": photo}, lambda a: f"/i/{a.id}?x=1&y=2") == (
        '<img src="/i/7?x=1&amp;y=2"><img src="/i/7?x=1&amp;y=2"><img src=""><img data-src="cid:a%20b@x">'
    )


def test_raster_pictures_are_known_by_type_and_first_bytes():
    assert is_raster_image("image/png", PNG_1X1[:16])
    assert is_raster_image("image/jpeg", b"\xff\xd8\xff\xe0")
    assert is_raster_image("image/gif", b"GIF89a")
    assert is_raster_image("image/webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ")
    assert not is_raster_image("image/svg+xml", b"<svg")
    assert not is_raster_image("image/png", b"<html>")
    assert not is_raster_image("text/html", PNG_1X1[:16])


@sqlite
def test_the_frames_signed_picture_address_works_for_that_picture_only(app, signed_in, mail_item):
    # The sandboxed frame has an opaque origin: its requests carry no session cookie.
    item, files = mail_item["item"], mail_item["files"]
    body = signed_in.get(f"/staff/thread/{mail_item['entry']}/body").get_data(as_text=True)
    photo = files["photo.png"][0]
    address = re.search(rf'src="(/staff/items/{item}/inline/{photo}\?t=[^"]+)"', body).group(1).replace("&amp;", "&")
    token = address.split("?t=")[1]
    stranger = app.test_client()
    assert stranger.get(address).status_code == 200
    for other in (
        f"/staff/items/{item}/inline/{files['fake.png'][0]}?t={token}",
        f"/staff/items/{item}/inline/{photo}?t={token}x",
        f"/staff/items/{item}/inline/{photo}",
    ):
        response = stranger.get(other)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], other
