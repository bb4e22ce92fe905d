"""Supervision groups, meetings and a member's work page: groups are formed from members only,
a member's home after login is their work, and a meeting's finding becomes a feedback item or
goes straight into the unit's rectification tasks."""

import io
from datetime import date

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus, Source
from intake.program import groups
from intake.program.plan_models import Meeting, MeetingFinding, MeetingKind
from intake.rectification.models.tasks import RectificationTask, TaskStatus
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import PNG_1X1
from tests.program.plan_world import program  # noqa: F401 - fixture
from tests.rectification.conftest import ledger  # noqa: F401 - fixture


def test_a_group_takes_committee_members_only(app, program):
    u = program.users
    with app.app_context():
        group = groups.set_group(program.cu["A"], "第一小组", u["member"], [u["member_b"], u["member"]])
        db.session.commit()
        assert group.leader.id == u["member"]
        assert sorted(m.user_id for m in group.members) == sorted([u["member"], u["member_b"]])
        for bad in (u["staff"], u["liaison"]):
            with pytest.raises(groups.GroupError):
                groups.set_group(program.cu["A"], "第一小组", u["member"], [bad])
        db.session.rollback()
        # Saving again replaces the members.
        groups.set_group(program.cu["A"], "第一小组", u["member_b"], [])
        db.session.commit()
        assert [(m.user_id, m.is_leader) for m in groups.group_of(program.cu["A"]).members] == [(u["member_b"], True)]


def test_staff_form_a_group_through_the_page_and_keep_what_they_typed(app, program):
    client = app.test_client()
    AuthActions(client).login("staff")
    url = f"/staff/program/units/{program.cu['A']}"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    bad = client.post(url + "/group", data={"csrf_token": token, "name": "我们的小组", "leader_id": "0"})
    assert bad.status_code == 400 and "我们的小组" in bad.get_data(as_text=True)
    nonsense = client.post(url + "/group", data={"csrf_token": token, "name": "小组", "leader_id": "abc"})
    assert nonsense.status_code == 400
    ok = client.post(
        url + "/group",
        data={
            "csrf_token": token,
            "name": "我们的小组",
            "leader_id": str(program.users["member"]),
            "member_ids": [str(program.users["member_b"])],
        },
    )
    assert ok.status_code == 303
    with app.app_context():
        assert groups.group_of(program.cu["A"]).leader.id == program.users["member"]


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("member", "/member/program/"),
        ("staff", "/staff/"),
        ("liaison", "/unit/"),
        ("admin", "/staff/"),
    ],
)
def test_after_login_a_member_lands_on_their_work(app, program, username, home):
    client = app.test_client()
    response = AuthActions(client).login(username)
    assert response.status_code == 302 and response.headers["Location"].endswith(home)


def test_the_member_page_lists_groups_tasks_and_the_calendar(app, program, ledger):
    u = program.users
    with app.app_context():
        groups.set_group(program.cu["A"], "第一民主监督小组", u["member"], [u["member_b"]])
        db.session.commit()
    task_id = ledger.route([ledger.item()], unit="zwfw")
    client = app.test_client()
    AuthActions(client).login("member")
    html = client.get("/member/program/").get_data(as_text=True)
    assert "第一民主监督小组" in html and "县政务服务管理局" in html
    assert f"/member/rectification/tasks/{task_id}" in html
    assert "2027-03-01" in html  # the calendar: the mobilisation meeting's date
    other = app.test_client()
    AuthActions(other).login("member_b")
    assert "第一民主监督小组" in other.get("/member/program/").get_data(as_text=True)


def test_a_group_member_records_a_meeting_with_photos_and_keeps_input_on_error(app, program):
    with app.app_context():
        groups.set_group(program.cu["A"], "第一小组", program.users["member"], [])
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login("member")
    url = f"/program/units/{program.cu['A']}/meetings/new"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "kind": "inspection",
        "held_on": "2027-04-08",
        "place": "政务服务大厅",
        "participants": "张委员、李委员",
        "minutes": "",
        "findings": "三号窗口午休无人\n\n自助机故障无人处理",
    }
    bad = client.post(url, data=form)
    assert bad.status_code == 400 and "三号窗口午休无人" in bad.get_data(as_text=True)
    # Spaces only are no place and no minutes: 400 with the form kept, never a 500.
    spaces = client.post(url, data=dict(form, place="   ", minutes=" \u3000 "))
    assert spaces.status_code == 400 and "三号窗口午休无人" in spaces.get_data(as_text=True)
    assert client.post(url, data=dict(form, minutes="记录", held_on="2027-13-45")).status_code == 400
    assert client.post(url, data=dict(form, minutes="记录", kind="party")).status_code == 400
    not_photo = client.post(
        url,
        data=dict(form, minutes="记录", photos=(io.BytesIO(b"%PDF-1.4"), "a.pdf")),
        content_type="multipart/form-data",
    )
    assert not_photo.status_code == 400
    ok = client.post(
        url,
        data=dict(form, minutes="现场察看了办事大厅。", photos=(io.BytesIO(PNG_1X1), "大厅.png")),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 303
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.kind is MeetingKind.inspection and meeting.held_on == date(2027, 4, 8)
        assert [f.text for f in meeting.findings] == ["三号窗口午休无人", "自助机故障无人处理"]
        photo_url = f"/program/meetings/{meeting.id}/photos/{meeting.photos[0].id}"
    photo = client.get(photo_url)
    assert (
        photo.status_code == 200
        and photo.data == PNG_1X1
        and photo.headers["Content-Disposition"].startswith("attachment")
    )


def _meeting(app, program, kind=MeetingKind.symposium) -> list[int]:
    with app.app_context():
        groups.set_group(program.cu["A"], "第一小组", program.users["member"], [])
        meeting = groups.record_meeting(
            program.cu["A"],
            groups.MeetingInput(
                kind=kind,
                held_on=date(2027, 4, 8),
                place="县政务服务管理局会议室",
                participants="企业代表",
                minutes="座谈",
                findings=["企业开办仍需跑三次", "不动产登记窗口排队过长"],
            ),
            program.users["member"],
        )
        db.session.commit()
        return [f.id for f in meeting.findings]


def test_a_finding_becomes_a_feedback_item_of_the_unit(app, program, ref):
    first, _second = _meeting(app, program)
    client = app.test_client()
    AuthActions(client).login("member")
    token = csrf_token_from(client.get("/member/program/").get_data(as_text=True))
    assert client.post(f"/program/findings/{first}/item", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/program/findings/{first}/item", data={"csrf_token": token}).status_code == 303  # once
    with app.app_context():
        [item] = db.session.scalars(select(FeedbackItem)).all()
        assert item.source is Source.symposium and item.unit_id == ref.unit["zwfw"]
        assert item.body == "企业开办仍需跑三次" and item.status is ItemStatus.pending
        assert item.reporter.is_member and item.reporter.user_id == program.users["member"]
        assert db.session.get(MeetingFinding, first).item_id == item.id
        meeting_id, code = db.session.get(MeetingFinding, first).meeting_id, item.tracking_code
    # The meeting's page names the item by the code people know, not its row id.
    page = client.get(f"/program/meetings/{meeting_id}").get_data(as_text=True)
    finding = page[page.index(f'data-finding="{first}"') :]
    assert code in finding[: finding.index("</li>")]


def test_staff_send_a_finding_straight_into_a_rectification_task(app, program, ref):
    _first, second = _meeting(app, program, MeetingKind.inspection)
    client = app.test_client()
    AuthActions(client).login("staff")
    token = csrf_token_from(client.get("/staff/program/plans").get_data(as_text=True))
    missing = client.post(f"/program/findings/{second}/task", data={"csrf_token": token, "requirement": ""})
    assert missing.status_code == 400 and "不动产登记窗口排队过长" in missing.get_data(as_text=True)
    ok = client.post(f"/program/findings/{second}/task", data={"csrf_token": token, "requirement": "一个月内增设窗口"})
    assert ok.status_code == 303
    with app.app_context():
        finding = db.session.get(MeetingFinding, second)
        task = db.session.get(RectificationTask, finding.task_id)
        assert task.unit_id == ref.unit["zwfw"] and task.status is TaskStatus.dispatched
        assert task.problem == "不动产登记窗口排队过长" and task.requirement == "一个月内增设窗口"
        [item] = task.items
        assert item.id == finding.item_id and item.source is Source.inspection and item.status is ItemStatus.routed
        meeting_id, code = finding.meeting_id, task.code
    assert f">{code}</a>" in client.get(f"/program/meetings/{meeting_id}").get_data(as_text=True)
    # Members may not route: the task step is staff's.
    member = app.test_client()
    AuthActions(member).login("member")
    assert member.post(f"/program/findings/{_first}/task", data={"csrf_token": token}).status_code in (400, 403)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_member_page_fits_a_phone(app, program, live_server, browser):
    with app.app_context():
        groups.set_group(program.cu["A"], "第一民主监督小组", program.users["member"], [])
        db.session.commit()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/auth/login")
        page.fill("input[name=username]", "member")
        page.fill("input[name=password]", "correct-horse-battery")
        page.click("button[type=submit]")
        page.wait_for_url("**/member/program/")
        assert page.locator("text=第一民主监督小组").is_visible()
        # Nothing wider than the screen: no sideways scrolling on a 360 px phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("zh_Hans", ["实施方案", "民主监督小组"]),
        ("zh_Hant", ["實施方案", "民主監督小組"]),
        ("en", ["Implementation plan", "Supervision group"]),
    ],
)
def test_the_program_pages_speak_each_language(app, program, locale, words):
    from intake.program import plans

    with app.app_context():
        plan_id = plans.start_plan(program.cu["A"], program.users["staff"]).id
        groups.set_group(program.cu["A"], "第一小组", program.users["member"], [])
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login("staff")
    html = client.get(f"/staff/program/units/{program.cu['A']}?lang={locale}").get_data(as_text=True)
    for word in words:
        assert word in html
    assert client.get(f"/staff/program/plans/{plan_id}?lang={locale}").status_code == 200
    member = app.test_client()
    AuthActions(member).login("member")
    assert member.get(f"/member/program/?lang={locale}").status_code == 200
