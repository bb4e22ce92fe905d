"""One item in the staff view: its reporter, files and history, and changing its status."""

import hashlib
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.feedback import services
from intake.feedback.models import Attachment, Event, EventKind, FeedbackItem, ItemStatus
from intake.storage import path_for
from tests.conftest import csrf_token_from
from tests.factories import PDF_MINIMAL, PNG_1X1, create_item, upload


@pytest.fixture
def signed_in(client, auth, users):
    assert auth.login("staff").status_code == 302
    return client


@pytest.fixture
def item_id(app):
    with app.app_context():
        item = create_item(
            subject="窗口工作人员玩手机",
            uploads=[upload("现场照片.png", PNG_1X1), upload("规定.pdf", PDF_MINIMAL, "application/pdf")],
        )
        db.session.commit()
        return item.id


def post_status(client, item_id, status, note=""):
    token = csrf_token_from(client.get(f"/staff/items/{item_id}").get_data(as_text=True))
    return client.post(f"/staff/items/{item_id}/status", data={"csrf_token": token, "status": status, "note": note})


def history(html: str) -> str:
    return re.search(r'<ol class="timeline" id="history">(.*?)</ol>', html, re.S).group(1)


def test_item_page_shows_the_item_and_files_and_the_reporter_on_request(app, signed_in, item_id):
    html = signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert "窗口工作人员玩手机" in html and "现场照片.png" in html and "规定.pdf" in html
    assert "反映已收到" in history(html) and "系统" in history(html)
    assert "李" not in html and "reporter0@" not in html  # behind the button until asked for
    token = csrf_token_from(html)
    shown = signed_in.post(f"/staff/items/{item_id}/reporter", data={"csrf_token": token}).get_data(as_text=True)
    assert "李" in shown and "@example.cn" in shown  # the reporter, for staff only
    assert "查看了反映人联系方式" in history(shown) or "反映人联系方式" in history(shown)
    with app.app_context():
        viewed = db.session.scalars(
            select(Event).where(Event.item_id == item_id, Event.kind == EventKind.identity_viewed)
        ).all()
        assert [e.actor.username for e in viewed] == ["staff"]


def test_status_change_shows_in_history_with_who_and_when(app, signed_in, item_id):
    response = post_status(signed_in, item_id, "accepted", note="已电话联系反映人核实")
    assert response.status_code == 303
    html = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "状态已变更为“已受理”。" in html
    assert re.search(r'id="item-status">已受理<', html)
    entries = re.findall(r"<li>(.*?)</li>", history(html), re.S)
    last = entries[-1]
    assert "Staff" in last  # the display name of the signed-in account
    assert "将状态由“待受理”变更为“已受理”" in last
    assert "已电话联系反映人核实" in last
    assert re.search(r"<time>[^<]*\d{4}[^<]*</time>", last)
    with app.app_context():
        event = db.session.scalars(select(Event).where(Event.kind == EventKind.status_changed)).one()
        assert (event.from_value, event.to_value, event.actor.username) == ("pending", "accepted", "staff")


def test_only_allowed_next_statuses_are_offered(signed_in, item_id):
    html = signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="status".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'value="([a-z]+)"', select_html))
    assert offered == {"accepted", "rejected", "duplicate", "invalid"}


def test_disallowed_transition_is_a_conflict_with_a_message(app, signed_in, item_id):
    response = post_status(signed_in, item_id, "closed")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "不允许进行此状态变更。" in html
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        assert item.status is ItemStatus.pending
        assert [e.kind for e in item.events] == [EventKind.created]


def test_a_stale_form_after_someone_else_changed_the_status_is_a_conflict(app, signed_in, item_id, users):
    token = csrf_token_from(signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True))
    with app.app_context():  # a colleague accepts the item meanwhile
        services.change_status(db.session.get(FeedbackItem, item_id), ItemStatus.accepted, actor_id=users["admin"])
        db.session.commit()
    response = signed_in.post(f"/staff/items/{item_id}/status", data={"csrf_token": token, "status": "accepted"})
    assert response.status_code == 409
    assert "不允许进行此状态变更。" in response.get_data(as_text=True)


def test_unknown_status_and_missing_item(signed_in, item_id):
    assert post_status(signed_in, item_id, "vanished").status_code == 400
    assert post_status(signed_in, item_id, "").status_code == 400
    assert signed_in.get("/staff/items/999999").status_code == 404


def test_attachments_are_stored_whole_and_downloaded_never_shown(app, signed_in, item_id):
    with app.app_context():
        attachments = db.session.scalars(
            select(Attachment).where(Attachment.item_id == item_id).order_by(Attachment.id)
        ).all()
        files = [(a.id, a.original_name, a.sha256, a.size, path_for(a.stored_name)) for a in attachments]
    assert [name for _id, name, *_ in files] == ["现场照片.png", "规定.pdf"]
    for attachment_id, name, sha256, size, path in files:
        on_disk = path.read_bytes()
        assert hashlib.sha256(on_disk).hexdigest() == sha256 and len(on_disk) == size
        assert name not in str(path)  # stored under a generated name

        response = signed_in.get(f"/staff/attachments/{attachment_id}")
        assert response.status_code == 200
        assert response.data == on_disk
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=UTF-8''{quote(name)}" in disposition
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]
    assert signed_in.get(f"/staff/attachments/{files[0][0]}").mimetype == "image/png"


def test_missing_file_on_disk_is_gone_not_a_crash(app, signed_in, item_id):
    with app.app_context():
        attachment = db.session.scalars(select(Attachment).where(Attachment.item_id == item_id)).first()
        path_for(attachment.stored_name).unlink()
        attachment_id = attachment.id
    assert signed_in.get(f"/staff/attachments/{attachment_id}").status_code == 410
    assert signed_in.get("/staff/attachments/999999").status_code == 404


def test_anonymous_reporter_is_shown_as_anonymous(app, signed_in):
    with app.app_context():
        item = create_item(reporter=services.ReporterInput(wants_anonymity=True))
        db.session.commit()
        item_id = item.id
    html = signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert "<p>匿名</p>" in html


def test_reading_pages_writes_no_templates_and_an_edit_stores_a_default_one(app, client, auth, users, item_id):
    from intake.triage.models import ReplyTemplate
    from tests.helpers import post_form

    assert auth.login("admin").status_code == 302
    assert client.get(f"/staff/items/{item_id}?template=acceptance").status_code == 200
    assert "您的反映已受理" in client.get("/staff/admin/templates").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ReplyTemplate.id)) is None  # GET wrote nothing
    response = post_form(
        client,
        "/staff/admin/templates",
        {
            "template_code": "acceptance",
            "t-acceptance-name": "受理",
            "t-acceptance-subject": "已受理",
            "t-acceptance-body": "您好，编号 {code} 已受理。",
        },
    )
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalars(select(ReplyTemplate)).all()
        assert [(t.code, t.subject) for t in stored] == [("acceptance", "已受理")]
    assert post_form(client, "/staff/admin/templates", {"template_code": "nope"}).status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"])
def test_assign_to_me_on_the_item_page_assigns_to_me(app, signed_in, users, item_id):
    html = signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*id="assign-form".*?</form>', html, re.S).group(0)
    # What the browser posts for a click on the button: the select's value, then the button's.
    selected = re.search(r'<option value="(\d+)"(?: selected)?>', form).group(1)
    button = re.search(r'<button type="submit" name="(\w+)" value="(\w+)" id="assign-me"', form)
    data = MultiDict(
        [("csrf_token", csrf_token_from(html)), ("assignee_id", selected), (button.group(1), button.group(2))]
    )
    assert signed_in.post(f"/staff/items/{item_id}/assign", data=data).status_code == 303
    with app.app_context():
        assert db.session.get(FeedbackItem, item_id).assignee_id == users["staff"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_admins_add_a_template_and_its_name_is_called_a_name_not_a_persons_name(app, client, auth, users, item_id):
    from intake.triage.models import ReplyTemplate
    from tests.helpers import post_form

    assert auth.login("admin").status_code == 302
    html = client.get("/staff/admin/templates").get_data(as_text=True)
    assert "模板名称" in html and "姓名" not in html
    fields = {
        "template_code": "",
        "new-name": "补充材料",
        "new-subject": "请补充材料",
        "new-body": "编号 {code}：请补充。",
    }
    assert post_form(client, "/staff/admin/templates", dict(fields, **{"new-body": ""})).status_code == 400
    assert post_form(client, "/staff/admin/templates", fields).status_code == 303
    with app.app_context():
        [added] = db.session.scalars(select(ReplyTemplate)).all()
        assert (added.name, added.subject) == ("补充材料", "请补充材料")
    # It is offered on the item page, beside the defaults.
    assert "补充材料" in client.get(f"/staff/items/{item_id}").get_data(as_text=True)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_staff_send_the_receipt_the_per_address_window_held_back(app, signed_in, smtp_server):
    from intake.feedback.jobs import follow_up_item
    from tests.factories import ReporterInputFactory
    from tests.helpers import post_form
    from tests.mailbox.conftest import drain

    with app.app_context():
        first = create_item(reporter=ReporterInputFactory.build(email="twice@example.cn"))
        second = create_item(reporter=ReporterInputFactory.build(email="twice@example.cn"))
        db.session.commit()
        assert follow_up_item(first.id) == "sent"
        assert follow_up_item(second.id) == "already acknowledged this address recently"
        second_id, code = second.id, second.tracking_code
    url = f"/staff/items/{second_id}"
    assert 'id="send-receipt"' in signed_in.get(url).get_data(as_text=True)
    assert post_form(signed_in, f"{url}/receipt", {}, get_url=url).status_code == 303
    drain(app)  # the job, in a real worker
    assert len(smtp_server.messages) == 2 and code in smtp_server.messages[-1].content.decode()
    html = signed_in.get(url).get_data(as_text=True)
    assert 'id="send-receipt"' not in html and "已于" in html
    assert post_form(signed_in, f"{url}/receipt", {}, get_url=url).status_code == 409  # once
