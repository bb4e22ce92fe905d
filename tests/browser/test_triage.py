"""Triage in real Chromium: accept a suggestion from the keyboard, bulk-assign, merge duplicates,
reply to the reporter by mail (caught by a real SMTP receiver), search in Chinese, and hostile
mail opened in the triage view without any of its script running."""

from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import EventKind, FeedbackItem, ItemStatus
from intake.triage.suggestions import apply_suggestions
from tests.conftest import PASSWORD
from tests.factories import create_item

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

MAIL = Path(__file__).resolve().parent.parent / "data" / "mail"


def sign_in(page, live_server, username="staff"):
    page.goto(live_server + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")


def make_items(app, *texts, suggest=True):
    with app.app_context():
        items = [create_item(subject=s, body=b) for s, b in texts]
        db.session.commit()
        if suggest:
            for item in items:
                apply_suggestions(item.id)
            db.session.commit()
        return [(i.id, i.tracking_code) for i in items]


def test_accept_a_suggestion_and_assign_to_me_from_the_keyboard(app, live_server, desktop_page, users, ref):
    app.config["SUGGEST_AUTO_APPLY"] = 1.01
    # About the hall itself (its numbering machine, its staff): the hall's operator.
    [(item_id, code)] = make_items(
        app, ("政务大厅窗口态度差", "在政务大厅取号办事，叫号机旁的大厅工作人员态度很差，还吼人。")
    )
    page = desktop_page
    sign_in(page, live_server)
    # Keys are pressed only once the page's script has taken the row (it marks it `current`):
    # after each reload the deferred script may still be on its way on a busy machine.
    current_row = f"tr.current[data-item-id='{item_id}']"
    page.wait_for_selector(current_row)
    assert "县政务服务管理局" in page.locator(f"tr[data-item-id='{item_id}'] td.suggestion").inner_text()
    page.keyboard.press("?")
    assert page.locator("#shortcut-help").is_visible()
    page.keyboard.press("?")
    page.keyboard.press("a")  # accept the suggestion of the current (first) row
    page.wait_for_selector(".flash")
    page.wait_for_selector(current_row)
    row = page.locator(f"tr[data-item-id='{item_id}']")
    assert "县政务服务管理局" in row.inner_text() and "采纳" not in row.locator("td.suggestion").inner_text()
    page.keyboard.press("m")  # assign to me
    page.wait_for_selector(f"tr[data-item-id='{item_id}'] td.assignee:has-text('Staff')")
    page.wait_for_selector(current_row)
    page.keyboard.press("o")
    page.wait_for_url(f"**/staff/items/{item_id}")
    assert page.locator("#item-unit").inner_text() == "县政务服务管理局"
    assert "已采纳建议" in page.locator("#suggested-unit").inner_text()
    history = page.locator("#history").inner_text()
    assert "已采纳建议" in history and "已指派" in history
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        assert item.unit_id == ref.unit["zwfw"] and item.category_id == ref.category["taidu"]
        assert item.assignee_id == users["staff"]


def test_bulk_assign_a_selection(app, live_server, desktop_page, users):
    made = make_items(app, ("甲反映", "第一件事"), ("乙反映", "第二件事"), ("丙反映", "第三件事"), suggest=False)
    page = desktop_page
    sign_in(page, live_server)
    for item_id, _code in made[:2]:
        page.check(f"tr[data-item-id='{item_id}'] input.select")
    page.select_option("#bulk-action", "assign")
    page.select_option("#bulk-assignee", label="Admin")
    page.click("#bulk-apply")
    page.wait_for_selector(".flash")
    assert "已更新 2 项" in page.locator(".flash").first.inner_text()
    for item_id, _code in made[:2]:
        assert page.locator(f"tr[data-item-id='{item_id}'] td.assignee").inner_text() == "Admin"
    assert page.locator(f"tr[data-item-id='{made[2][0]}'] td.assignee").inner_text() == "—"


def test_merge_duplicates_from_the_item_page(app, live_server, desktop_page, users):
    made = make_items(
        app,
        ("工科局审批慢", "工科局办理企业技改项目审批，材料交齐一个月了还没批下来，打电话也没人接。"),
        ("工科局审批太慢", "工科局办理企业技改项目审批，材料交齐一个多月了还没批下来，打电话也没人接！"),
        ("工科局審批慢", "工科局辦理企業技改項目審批，材料交齊一個月了還沒批下來，打電話也沒人接。"),
    )
    (primary, _), (dup1, code1), (dup2, code2) = made
    page = desktop_page
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/items/{primary}")
    related = page.locator("#related-panel")
    assert code1 in related.inner_text() and code2 in related.inner_text()
    page.check(f"#merge-form input[value='{dup1}']")
    page.check(f"#merge-form input[value='{dup2}']")
    page.click("#merge-selected")
    page.wait_for_selector(".flash")
    assert "已将 2 条反映合并到本条" in page.locator(".flash").inner_text()
    assert code1 in page.locator("#related-panel").inner_text()
    page.goto(f"{live_server}/staff/items/{dup1}")
    assert page.locator("#item-status").inner_text() == "重复"
    assert page.locator("#merged-into a").inner_text() in {c for _i, c in made}
    with app.app_context():
        assert {
            i.duplicate_of_id for i in db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_([dup1, dup2])))
        } == {primary}


def test_reply_to_the_reporter_by_mail(app, live_server, desktop_page, users, smtp_server, runner):
    [(item_id, code)] = make_items(app, ("社保窗口不开门", "社保窗口中午不办业务。"), suggest=False)
    page = desktop_page
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/items/{item_id}")
    page.get_by_role("link", name="受理告知").click()
    page.wait_for_url("**template=acceptance*")
    assert code in page.input_value("#body") and "社保窗口不开门" in page.input_value("#body")
    page.fill("#subject", "您的反映已受理")
    page.fill("#body", page.input_value("#body") + "\n经办人：王科长")
    page.click("#send-reply")
    page.wait_for_selector(".flash")
    assert "答复正在发送" in page.locator(".flash").inner_text()
    # The rq job, run by a real worker against the test Redis, sends it after the commit.
    result = runner.invoke(args=["intake", "worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    import email
    from email import policy

    sent = email.message_from_bytes(envelope.content, policy=policy.default)
    assert code in sent["Subject"] and "您的反映已受理" in sent["Subject"]
    assert sent["Message-ID"].startswith("<") and code in sent["Message-ID"]
    assert "经办人：王科长" in sent.get_body(("plain",)).get_content()
    assert envelope.rcpt_tos == [envelope.rcpt_tos[0]] and envelope.rcpt_tos[0].endswith("@example.cn")
    page.reload()
    assert "已发送" in page.locator("#replies").inner_text()
    assert "经办人：王科长" in page.locator("#thread").inner_text()  # stored in the thread
    assert "已向反映人发送答复" in page.locator("#history").inner_text()
    with app.app_context():
        from intake.mailbox.models import ThreadEntry

        entry = db.session.scalars(select(ThreadEntry).where(ThreadEntry.item_id == item_id)).one()
        assert f"<{entry.message_id}>" == sent["Message-ID"]  # answers thread back by this id


def test_search_in_chinese(app, live_server, desktop_page, users):
    made = make_items(
        app,
        ("窗口服务態度差", "办事员不耐烦。"),
        ("路灯坏了", "县城东门路灯坏了。"),
        ("大厅排队", "排队两小时，服务态度还行。"),
        suggest=False,
    )
    page = desktop_page
    sign_in(page, live_server)
    page.wait_for_selector("tr.current")  # the page's script is listening for keys
    page.keyboard.press("/")
    page.keyboard.type("态度")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=*")
    shown = {int(x) for x in page.locator("#queue tbody tr").evaluate_all("rows => rows.map(r => r.dataset.itemId)")}
    assert shown == {made[0][0], made[2][0]}
    assert page.locator("#queue-total").inner_text() == "(2)"


def test_hostile_mail_runs_no_script_in_the_triage_view(app, live_server, desktop_page, users):
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox.jobs import parse_inbound
    from intake.mailbox.models import Direction, ThreadEntry

    with app.app_context():
        row = mailbox_receiving.store_imported((MAIL / "triage_xss_everything.eml").read_bytes())
        db.session.commit()
        assert parse_inbound(row.id) == "new item"
        item = db.session.scalar(select(FeedbackItem).order_by(FeedbackItem.id.desc()))
        item_id = item.id
        names = [a.original_name for a in item.attachments]
        # And HTML no sanitizer saw: the sandbox and the frame's CSP must hold on their own.
        import email
        from email import policy

        raw = email.message_from_bytes((MAIL / "triage_xss_everything.eml").read_bytes(), policy=policy.default)
        hostile = raw.get_body(("html",)).get_content()
        assert "<script>window.__xss=1" in hostile
        db.session.add(ThreadEntry(item_id=item_id, direction=Direction.inbound, text="raw", html=hostile))
        db.session.commit()
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".svg") for n in names)

    page = desktop_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/items/{item_id}")
    title = page.title()
    frames = page.locator("iframe.mail-html")
    assert frames.count() == 2
    page.wait_for_timeout(500)
    for frame in page.frames[1:]:
        frame.wait_for_load_state()
        assert frame.evaluate("typeof window.__xss") == "undefined"
        for selector in ("#jslink", "#formbtn"):
            if frame.locator(selector).count():
                frame.locator(selector).click(timeout=2000, no_wait_after=True)
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.title() == title and "pwned" not in page.title()
    # The attachments: always downloads, never rendered in our origin.
    for name in names:
        with page.expect_download() as download:
            page.locator("#attachments a", has_text=name[-8:]).first.click()
        assert download.value.suggested_filename
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__xss") == "undefined" and page.title() == title
    # Opened directly, the download URLs still do not render (and so run nothing).
    attachment_links = page.locator("#attachments a").evaluate_all("links => links.map(a => a.href)")
    for href in attachment_links:
        with page.expect_download():
            try:
                page.goto(href)
            except Exception:  # noqa: BLE001 - Chromium reports a navigation that became a download
                pass
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert dialogs == []
    # Nothing in the audit trail from the mail's "sender name" either: it is text.
    with app.app_context():
        assert EventKind.created in [e.kind for e in db.session.get(FeedbackItem, item_id).events]
        assert db.session.get(FeedbackItem, item_id).status is ItemStatus.pending


class _Elsewhere:
    """A real HTTP server on another origin: what a mail's remote pictures and links point at."""

    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                requests.append((self.path, self.headers.get("Referer")))
                body = b"<title>elsewhere</title>" if self.path.startswith("/landing") else PNG_3X2
                self.send_response(200)
                self.send_header("Content-Type", "text/html" if self.path.startswith("/landing") else "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG_3X2 = _png(3, 2)  # a picture a browser would happily show, were it allowed to fetch it


@pytest.fixture
def elsewhere():
    server = _Elsewhere()
    yield server
    server.stop()


def test_mail_pictures_show_remote_ones_do_not_and_links_open_only_when_confirmed(
    app, live_server, desktop_page, users, elsewhere
):
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox.jobs import parse_inbound
    from intake.mailbox.models import Direction, ThreadEntry

    with app.app_context():
        row = mailbox_receiving.store_imported((MAIL / "triage_cid_images_and_links.eml").read_bytes())
        db.session.commit()
        assert parse_inbound(row.id) == "new item"
        item_id = db.session.scalar(select(FeedbackItem.id).order_by(FeedbackItem.id.desc()))
        # HTML no sanitizer saw, with a remote picture: the frame's CSP alone must stop it.
        db.session.add(
            ThreadEntry(
                item_id=item_id,
                direction=Direction.inbound,
                text="raw",
                html=f'<img src="{elsewhere.url}/pixel.png" alt="remote"><img src="cid:photo.2x3@zxzx" alt="photo">'
                f'<a href="{elsewhere.url}/landing">见这里</a>',
            )
        )
        db.session.commit()

    page = desktop_page
    sign_in(page, live_server)
    page.goto(f"{live_server}/staff/items/{item_id}")
    frames = page.locator("iframe.mail-html")
    assert frames.count() == 2
    page.wait_for_timeout(500)
    widths = {}
    for frame in page.frames[1:]:
        frame.wait_for_load_state()
        widths.update(
            frame.evaluate(
                "() => Object.fromEntries([...document.images].map(i => [i.alt, i.complete ? i.naturalWidth : -1]))"
            )
        )
    # The cid: picture (2x3 PNG) shows, in both frames; the SVG, the HTML posing as a PNG and the
    # remote picture do not.
    assert widths["照片"] == 2 and widths["photo"] == 2
    assert widths["矢量图"] == 0 and widths["假图片"] == 0 and widths["远程图片"] == 0 and widths["remote"] == 0
    assert elsewhere.requests == []

    # The links, with the address each really opens.
    lists = page.locator("details.mail-links")
    assert lists.count() == 2
    first = lists.nth(0)
    assert "https://evil.example/login?next=%2F" in first.inner_text()
    assert "https://www.gov.cn/" in first.inner_text() and "javascript" not in first.inner_text()
    # No link is clickable until its confirm step is opened.
    open_links = page.locator("a.open-link")
    assert open_links.count() == 4
    for i in range(4):
        assert not open_links.nth(i).is_visible()
    link = lists.nth(1).locator("li.mail-link").first
    assert f"{elsewhere.url}/landing" in link.locator(".link-target").inner_text()
    link.locator("summary").click()
    confirm = link.locator("a.open-link")
    assert confirm.is_visible() and confirm.get_attribute("rel") == "noopener noreferrer"
    with page.context.expect_page() as opened:
        confirm.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{elsewhere.url}/landing" and tab.evaluate("window.opener") is None
    # Opened with no Referer: the other site never learns the item's address.
    assert elsewhere.requests[0] == ("/landing", None)
    assert [r for r in elsewhere.requests if r[0] != "/favicon.ico"] == [("/landing", None)]
    tab.close()
    assert page.url == f"{live_server}/staff/items/{item_id}"
