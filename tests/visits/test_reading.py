"""Who reads which visit (a member their own and their groups', a liaison never the member's
name), the year's figures for staff and the appraisal, the checklist editor, the pages in the
three languages."""

import re

import pytest
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.rectification.services.routing import route_items_to_unit
from intake.visits import services
from intake.visits.checklists import checklist_of
from intake.visits.models import Visit
from tests.conftest import AuthActions, csrf_token_from
from tests.visits.world import send, visit_form, world  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _record(app, world, who: str, unit: str, **changes) -> int:
    client = app.test_client()
    AuthActions(client).login(who)
    response = send(client, visit_form(world, unit=unit, **changes))
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["url"].rsplit("/", 1)[1])


def test_a_member_sees_their_own_visits_and_their_groups_only(app, client, auth, world):
    own = _record(app, world, "member", "zwfw", place="A的窗口")
    by_outsider_to_my_unit = _record(app, world, "member_c", "zwfw", place="C的窗口")
    other_group = _record(app, world, "member_b", "gk", place="B的窗口")

    auth.login("member")
    page = client.get("/member/visits/").get_data(as_text=True)
    assert "A的窗口" in page and "C的窗口" in page and "B的窗口" not in page
    assert client.get(f"/member/visits/{own}").status_code == 200
    assert client.get(f"/member/visits/{by_outsider_to_my_unit}").status_code == 200
    assert client.get(f"/member/visits/{other_group}").status_code == 404
    auth.logout()

    auth.login("member_c")  # in no group: their own visit only
    page = client.get("/member/visits/").get_data(as_text=True)
    assert "C的窗口" in page and "A的窗口" not in page
    assert client.get(f"/member/visits/{own}").status_code == 404
    auth.logout()

    auth.login("member_b")  # the form lists the units of their group (gk) first
    form = client.get("/member/visits/new").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', form)
    assert options[:2] == ["0", str(world.units["gk"])] and str(world.units["zwfw"]) in options
    auth.logout()

    auth.login("liaison")
    assert client.get(f"/member/visits/{own}").status_code == 403
    assert client.get("/member/visits/").status_code == 403


def test_the_unit_reads_the_finding_with_the_member_masked(app, client, auth, world):
    visit_id = _record(app, world, "member", "zwfw")
    with app.app_context():
        visit = db.session.get(Visit, visit_id)
        member = db.session.get(User, world.users["member"])
        finding = visit.findings[0]
        assert finding.item.reporter.name == member.display_name == "张建华"  # staff know who
        task = route_items_to_unit([finding.item_id], visit.unit_id, finding.text, "请核实整改。", world.users["staff"])
        db.session.commit()
        task_id = task.id
    auth.login("liaison")
    page = client.get(f"/unit/tasks/{task_id}").get_data(as_text=True)
    assert "不动产登记窗口要求群众回去复印身份证" in page
    assert "张建华" not in page and "zhangjianhua" not in page


def test_the_years_figures_per_unit_and_for_the_appraisal(app, client, auth, world):
    _record(app, world, "member", "zwfw", **{"answer-wait_minutes": "40", "answer-promise_kept": "no"})
    _record(
        app,
        world,
        "member",
        "zwfw",
        incognito=None,
        findings="",
        **{"answer-wait_minutes": "20", "answer-promise_kept": "yes", "answer-trips": "1"},
    )
    _record(
        app,
        world,
        "member_b",
        "gk",
        **{"answer-wait_minutes": "", "answer-promise_kept": "", "answer-attitude": "5", "answer-fees_posted": "no"},
    )
    with app.app_context():
        zwfw = services.year_figures(world.cycle, world.units["zwfw"])
        assert (zwfw.visits, zwfw.incognito, zwfw.open_visits) == (2, 1, 1)
        assert zwfw.average_wait_minutes == 30 and zwfw.average_trips == 1.5 and zwfw.promise_kept_share == 0.5
        assert zwfw.improper_request_share == 0 and zwfw.fees_posted_share == 1 and zwfw.average_attitude == 3
        everything = services.year_figures(world.cycle)
        assert everything.visits == 3 and everything.average_wait_minutes == 30
        assert everything.fees_posted_share == 2 / 3 and everything.average_attitude == pytest.approx(11 / 3)
        gk = services.year_figures(world.cycle, world.units["gk"])
        assert gk.average_wait_minutes is None and gk.promise_kept_share is None
        findings = services.findings_for(world.cycle, world.units["zwfw"])
        assert [(text[:6], item.tracking_code.startswith("JD-")) for _v, text, item in findings] == [
            ("不动产登记窗", True)
        ]

    auth.login("staff")
    overview = client.get("/staff/visits/").get_data(as_text=True)
    assert "30.0" in overview and "50%" in overview and "67%" in overview
    unit_page = client.get(f"/staff/visits/2026/units/{world.units['zwfw']}").get_data(as_text=True)
    assert unit_page.count("政务服务大厅12号窗口") == 2
    member_page = client.get(f"/staff/visits/2026/members/{world.users['member_b']}")
    assert member_page.status_code == 200
    assert client.get("/staff/visits/1999").status_code == 404
    assert client.get("/staff/visits/2026/units/999999").status_code == 404


def test_staff_edit_the_checklist_of_a_year(app, client, auth, world):
    auth.login("staff")
    page = client.get("/staff/visits/2026/checklist").get_data(as_text=True)
    token = csrf_token_from(page)
    with app.app_context():
        keys = [item.key for item in checklist_of(world.cycle)]
    rows = {"csrf_token": token}
    for n, key in enumerate(keys):
        rows[f"rows-{n}-key"], rows[f"rows-{n}-label"], rows[f"rows-{n}-kind"] = key, "", "yesno"
    rows["rows-1-kind"] = "count"  # trips stays a count
    rows.update(
        {
            "rows-0-kind": "minutes",
            "rows-2-kind": "scale",
            "rows-6-key": "",
            "rows-6-label": "是否设置帮办代办窗口？",
            "rows-6-kind": "yesno",
        }
    )
    assert client.post("/staff/visits/2026/checklist", data=rows).status_code == 303
    with app.app_context():
        items = checklist_of(world.cycle)
        assert [i.key for i in items][-1] == "item1" and items[-1].shown_label == "是否设置帮办代办窗口？"
    form = client.get("/member/visits/new")
    assert form.status_code == 403  # staff do not record visits here
    auth.logout()
    auth.login("member")
    assert "是否设置帮办代办窗口？" in client.get("/member/visits/new").get_data(as_text=True)
    auth.logout()
    auth.login("staff")
    bad = dict(rows, **{"rows-6-key": "item1", "rows-6-label": "", "rows-0-kind": "nonsense"})
    answer = client.post("/staff/visits/2026/checklist", data=bad)
    assert answer.status_code == 400


@pytest.mark.parametrize("lang", ["zh_Hans", "zh_Hant", "en"])
def test_every_visit_page_in_each_language(app, client, auth, world, lang):
    visit_id = _record(app, world, "member", "zwfw")
    auth.login("member")
    for url in ("/member/visits/", "/member/visits/new", f"/member/visits/{visit_id}", "/member/program/"):
        assert client.get(f"{url}?lang={lang}").status_code == 200, url
    auth.logout()
    auth.login("staff")
    send_conflict = app.test_client()
    AuthActions(send_conflict).login("member")
    with app.app_context():
        uuid = db.session.scalar(select(Visit.uuid))
    assert send(send_conflict, visit_form(world, uuid=uuid, place="另一个窗口")).status_code == 409
    for url in (
        "/staff/visits/",
        "/staff/visits/2026/checklist",
        "/staff/visits/conflicts",
        "/staff/visits/conflicts/1",
        f"/member/visits/{visit_id}",
        f"/staff/visits/2026/members/{world.users['member']}",
    ):
        assert client.get(f"{url}?lang={lang}").status_code == 200, url
