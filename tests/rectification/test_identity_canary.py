"""权益保障: a reporter with a unique name, phone and email goes the whole way (submit → triage →
route → the unit works the task → closure → rating); nothing a unit liaison can reach, pages,
downloads, exports or mail, carries any of it."""

import io
import re
import zipfile
from collections import deque
from email import message_from_bytes, policy
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.feedback.models import Attachment, FeedbackItem
from intake.rectification import jobs, notify
from intake.rectification.models.outbox import ClosureNotice
from intake.rectification.models.tasks import RectificationTask
from tests.conftest import AuthActions
from tests.factories import PNG_1X1
from tests.helpers import open_progress, post_form
from tests.rectification.conftest import post_route

NAME, GIVEN = "欧阳金丝雀", "金丝雀"
PHONE_TYPED, PHONE = "139 8765 4321", "13987654321"
EMAIL = "canary.bird42@qq.com"
# The details again as people really write them in the text: full-width digits, spaced and
# dashed phones with +86, the compound surname with a form of address (also in Traditional
# characters), the email spelled out against robots and with a full-width ＠.
WRITTEN_AGAIN = (
    "大家叫我欧阳先生（歐陽先生），電話１３９８７６５４３２１，也可打 139-8765-4321 或 +86 139 8765 4321，"
    "邮箱 canary.bird42 at qq dot com 或 ｃａｎａｒｙ.bird42＠qq．com。"
)
CANARIES = [NAME, GIVEN, PHONE, "87654321", "8765 4321", "8765-4321", "８７６５４３２１", "欧阳", "歐陽"]
CANARIES += [EMAIL, "canary.bird42", "canary", "ｃａｎａｒｙ"]


def leaks(data: bytes | str) -> list[str]:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    text = unquote(text)
    return [c for c in CANARIES if c.lower() in text.lower()]


def leaks_in_response(response) -> list[str]:
    found = leaks(response.headers.get("Content-Disposition", ""))
    body = response.get_data()
    if body[:2] == b"PK":  # xlsx: look inside every part
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            for name in z.namelist():
                found += leaks(z.read(name))
    else:
        found += leaks(body)
    return found


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag in ("img", "script", "link", "iframe") and (a.get("src") or a.get("href")):
            self.links.append(a.get("src") or a.get("href"))
        elif tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.links.append(a["action"])


def crawl(client, start: str, limit: int = 300) -> dict[str, object]:
    """Every same-site URL reachable from `start` by links, as the client sees it."""
    seen, queue, pages = {start}, deque([start]), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        response = client.get(url)
        pages[url] = response
        if "text/html" not in response.content_type:
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for link in parser.links:
            target = urljoin("http://localhost" + url, link)
            parts = urlsplit(target)
            if parts.netloc != "localhost" or parts.path.startswith("/auth/logout"):
                continue
            path = parts.path + ("?" + parts.query if parts.query else "")
            if path not in seen:
                seen.add(path)
                queue.append(path)
    return pages


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_reporter_is_invisible_to_the_unit(app, users, ref, smtp_server):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "liaison")).email = "liaison@zwfw.example.cn"
        db.session.commit()

    # The reporter submits on the public form, naming themselves in the text and the file name.
    public = app.test_client()
    r = post_form(
        public,
        "/jiandu/",
        {
            "kind": "complaint",
            "unit_id": str(ref.unit["zwfw"]),
            "category_id": "0",
            "subject": NAME + "反映便民窗口推诿",
            "body": f"我是{NAME}，电话{PHONE}，邮箱{EMAIL}。{WRITTEN_AGAIN}窗口让我跑了三趟。",
            "location": NAME + "家附近的政务大厅",
            "name": NAME,
            "phone": PHONE_TYPED,
            "email": EMAIL,
            "consent": "y",
            "attachments": (io.BytesIO(PNG_1X1), NAME + "的身份证.png"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        item_id, code, secret = item.id, item.tracking_code, item.lookup_secret
        attachment_id = db.session.scalar(select(Attachment.id))

    # Staff see who reported (the canary is really in the system), route it carelessly naming
    # the reporter in the problem, and release the attachment.
    staff = app.test_client()
    AuthActions(staff).login("staff")
    assert NAME in staff.get(f"/staff/items/{item_id}").get_data(as_text=True)
    r = post_route(staff, item_id, ref.unit["zwfw"], f"群众{NAME}（{PHONE}）反映便民窗口推诿", "限期整改")
    task_id = int(re.search(r"/tasks/(\d+)", r.headers["Location"]).group(1))
    staff_task = f"/staff/rectification/tasks/{task_id}"
    assert post_form(staff, f"{staff_task}/release/{attachment_id}", {}, get_url=staff_task).status_code == 303

    # The unit works the task.
    liaison = app.test_client()
    AuthActions(liaison).login("liaison")
    url = f"/unit/tasks/{task_id}"
    assert (
        post_form(
            liaison, url + "/sign", {"measures": "约谈窗口人员", "responsible_person": "王科长"}, get_url=url
        ).status_code
        == 303
    )
    assert (
        post_form(
            liaison,
            url + "/progress",
            {"note": "已约谈", "files": (io.BytesIO(PNG_1X1), "约谈.png")},
            get_url=url,
            content_type="multipart/form-data",
        ).status_code
        == 303
    )
    assert post_form(liaison, url + "/complete", {"completion_report": "已整改"}, get_url=url).status_code == 303

    # A member accepts; the reporter is told, and rates it not satisfied, naming themselves.
    member = app.test_client()
    AuthActions(member).login("member")
    murl = f"/member/rectification/tasks/{task_id}"
    assert (
        post_form(
            member,
            murl + "/visit",
            {"visited_on": "2026-11-20", "visitors": "委员甲", "findings": "到位", "outcome": "accepted"},
            get_url=murl,
        ).status_code
        == 303
    )
    with app.app_context():
        for notice_id in db.session.scalars(select(ClosureNotice.id)):
            assert notify.notify_closure(notice_id) == "sent"
    assert open_progress(public, code, secret).status_code == 200
    status_url = f"/jiandu/track/{code}"
    assert (
        post_form(
            public,
            f"/jiandu/track/{code}/rating",
            {"grade": "dissatisfied", "comment": f"{NAME}仍不满意，请回电{PHONE}"},
            get_url=status_url,
        ).status_code
        == 303
    )
    # Staff send it back; reminders and an escalation go out, to the unit too.
    assert (
        post_form(
            staff, f"{staff_task}/review", {"decision": "return", "note": "请继续整改"}, get_url=staff_task
        ).status_code
        == 303
    )
    with app.app_context():
        # The day of the deadline: whatever day the suite runs, reminders are due then.
        jobs.tick(db.session.get(RectificationTask, task_id).deadline)
        from intake.rectification.models.outbox import TaskReminder

        for reminder_id in db.session.scalars(select(TaskReminder.id)):
            notify.send_reminder(reminder_id)

    # Everything the liaison can reach by following links, and every mail to the liaison.
    pages = crawl(liaison, "/unit/")
    assert any(u.startswith(f"/unit/tasks/{task_id}/attachments/") for u in pages)
    assert any(u.startswith(f"/unit/tasks/{task_id}/files/") for u in pages)
    assert "/unit/export.xlsx" in pages
    found = {url: leaks_in_response(resp) for url, resp in pages.items()}
    assert {u: f for u, f in found.items() if f} == {}
    assert all(resp.status_code == 200 for u, resp in pages.items() if u.startswith("/unit")), {
        u: r.status_code for u, r in pages.items()
    }

    to_liaison = [m for m in smtp_server.messages if "liaison@zwfw.example.cn" in m.rcpt_tos]
    assert to_liaison, "the unit got no reminder: the mail check would prove nothing"
    for message in to_liaison:
        parsed = message_from_bytes(message.content, policy=policy.default)
        assert leaks(parsed["Subject"] + parsed.get_content()) == []
    # The mail to the reporter did go to the reporter.
    assert any(EMAIL in m.rcpt_tos for m in smtp_server.messages)
