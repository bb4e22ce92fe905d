"""Who may open what of the plans, reports, groups and meetings, as a table: every role × every
route × every method, with ownership (unit A's liaison against unit B's plan and report; a
member against a unit whose group they are not in)."""

import io

import pytest

from intake.extensions import db
from intake.feedback.services import UploadInput
from intake.program import groups, plans
from intake.program.plan_models import ImplementationPlan
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import PDF_MINIMAL, PNG_1X1
from tests.program.plan_world import approved_plan, program, symposium  # noqa: F401 - fixture

ROLES = ["public", "staff", "admin", "member", "member_b", "liaison_a", "liaison_b"]
LOGIN = {
    "staff": "staff",
    "admin": "admin",
    "member": "member",
    "member_b": "member_b",
    "liaison_a": "liaison",
    "liaison_b": "liaison_b",
}


@pytest.fixture
def world(app, program):
    u = program.users
    pa = approved_plan(app, program.cu["A"], u["staff"])
    pb = approved_plan(app, program.cu["B"], u["staff"])
    from intake.program import services

    with app.app_context():
        # B has a newer draft, which no liaison sees; A's 2028 plan is a draft only.
        plan_b = db.session.get(ImplementationPlan, pb)
        draft = plans.PlanContent.of(plan_b.latest)
        draft.guiding_idea = "尚未审定的草稿"
        plans.save_plan(plan_b, draft, u["staff"])
        cu_c = services.list_unit(2028, plans.cycle_unit(program.cu["A"]).unit_id).id
        pc = plans.start_plan(cu_c, u["staff"]).id
        ra = plans.upload_self_report(
            plans.cycle_unit(program.cu["A"]),
            u["liaison"],
            UploadInput("甲单位自查报告.pdf", "application/pdf", io.BytesIO(PDF_MINIMAL)),
        ).id
        rb = plans.upload_self_report(
            plans.cycle_unit(program.cu["B"]),
            u["liaison_b"],
            UploadInput("乙单位自查报告.pdf", "application/pdf", io.BytesIO(PDF_MINIMAL)),
        ).id
        groups.set_group(program.cu["A"], "第一民主监督小组", u["member"], [])
        groups.set_group(program.cu["B"], "第二民主监督小组", u["member_b"], [])
        data = symposium()
        ma = groups.record_meeting(
            program.cu["A"], data, u["member"], [UploadInput("现场.png", "image/png", io.BytesIO(PNG_1X1))]
        )
        mb = groups.record_meeting(program.cu["B"], data, u["member_b"])
        db.session.commit()
        return dict(
            A=program.cu["A"],
            B=program.cu["B"],
            pa=pa,
            pb=pb,
            pc=pc,
            ra=ra,
            rb=rb,
            ma=ma.id,
            mb=mb.id,
            pha=ma.photos[0].id,
            fa=ma.findings[0].id,
            fb=mb.findings[0].id,
        )


# (method, url, area, owner)
ROUTES = [
    ("GET", "/staff/program/plans", "staff", None),
    ("POST", "/staff/program/units/{A}/plan", "staff", None),
    ("GET", "/staff/program/plans/{pa}", "staff", None),
    ("POST", "/staff/program/plans/{pa}", "staff", None),
    ("POST", "/staff/program/plans/{pa}/approve", "staff", None),
    ("GET", "/staff/program/plans/{pb}/v2", "staff", None),
    ("GET", "/staff/program/plans/{pa}/v1.docx", "staff", None),
    ("GET", "/staff/program/plans/{pa}/v1.pdf", "staff", None),
    ("GET", "/staff/program/reports/{ra}", "staff", None),
    ("GET", "/staff/program/units/{A}", "staff", None),
    ("POST", "/staff/program/units/{A}/group", "staff", None),
    ("GET", "/unit/program/", "unit", None),
    ("POST", "/unit/program/{A}/reports", "unit", "A"),
    ("POST", "/unit/program/{B}/reports", "unit", "B"),
    ("GET", "/unit/program/plans/{pa}", "unit", "A"),
    ("GET", "/unit/program/plans/{pb}", "unit", "B"),
    ("GET", "/unit/program/plans/{pa}.docx", "unit", "A"),
    ("GET", "/unit/program/plans/{pb}.docx", "unit", "B"),
    ("GET", "/unit/program/plans/{pc}", "unit", "nobody"),  # A's own, but not approved
    ("GET", "/unit/program/plans/{pc}.docx", "unit", "nobody"),
    ("GET", "/unit/program/reports/{ra}", "unit", "A"),
    ("GET", "/unit/program/reports/{rb}", "unit", "B"),
    ("GET", "/member/program/", "member", None),
    ("GET", "/program/units/{A}/meetings/new", "work", "A"),
    ("POST", "/program/units/{A}/meetings/new", "work", "A"),
    ("GET", "/program/units/{B}/meetings/new", "work", "B"),
    ("POST", "/program/units/{B}/meetings/new", "work", "B"),
    ("GET", "/program/meetings/{ma}", "work", "A"),
    ("GET", "/program/meetings/{mb}", "work", "B"),
    ("GET", "/program/meetings/{ma}/photos/{pha}", "work", "A"),
    ("GET", "/program/meetings/{mb}/photos/{pha}", "work", "mismatch"),  # A's photo through B's meeting
    ("POST", "/program/findings/{fa}/item", "work", "A"),
    ("POST", "/program/findings/{fb}/item", "work", "B"),
    ("POST", "/program/findings/{fa}/task", "staff", None),
]
ALLOWED = {200, 303, 400}
GROUP_OF = {"member": "A", "member_b": "B"}


def expected(role: str, area: str, owner: str | None) -> int | set:
    if role == "public":
        return 302
    if area == "staff":
        return ALLOWED if role in ("staff", "admin") else 403
    if area == "member":
        return ALLOWED if role in ("member", "member_b") else 403
    if area == "unit":
        if role not in ("liaison_a", "liaison_b"):
            return 403
        if owner is None:
            return ALLOWED
        return ALLOWED if owner == {"liaison_a": "A", "liaison_b": "B"}[role] else 404
    if area == "work":
        if role.startswith("liaison"):
            return 403
        if owner == "mismatch":
            return 404
        if role in ("staff", "admin"):
            return ALLOWED
        return ALLOWED if GROUP_OF[role] == owner else 404
    raise AssertionError(area)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app, world, role):
    client = app.test_client()
    if role != "public":
        assert AuthActions(client).login(LOGIN[role]).status_code == 302
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    failures = []
    listed = {(method, template) for method, template, _area, _owner in ROUTES}
    for method, template, area, owner in ROUTES:
        url = template.format(**world)
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        want = expected(role, area, owner)
        ok = response.status_code in want if isinstance(want, set) else response.status_code == want
        if not ok:
            failures.append(f"{role} {method} {url}: {response.status_code}, wanted {want}")
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]
        for other in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if other in (method, "HEAD") or (other, template) in listed:
                continue
            r = client.open(url, method=other, data={"csrf_token": token})
            if r.status_code != 405:
                failures.append(f"{role} {other} {url}: {r.status_code}, wanted 405")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("liaison", ["liaison", "liaison_b"])
def test_a_liaison_sees_nothing_of_another_units_plan_or_report(app, world, liaison):
    client = app.test_client()
    AuthActions(client).login(liaison)
    mine, theirs = ("A", "B") if liaison == "liaison" else ("B", "A")
    names = {"A": ("县政务服务管理局", "甲单位自查报告.pdf"), "B": ("县工业商务和科学技术信息局", "乙单位自查报告.pdf")}
    home = client.get("/unit/program/").get_data(as_text=True)
    assert names[mine][0] in home and names[mine][1] in home
    assert names[theirs][0] not in home and names[theirs][1] not in home
    assert "尚未审定的草稿" not in client.get(f"/unit/program/plans/{world['pb']}").get_data(as_text=True)
    for url in (
        f"/unit/program/plans/{world['p' + theirs.lower()]}",
        f"/unit/program/plans/{world['p' + theirs.lower()]}.pdf",
        f"/unit/program/reports/{world['r' + theirs.lower()]}",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert names[theirs][0] not in response.get_data(as_text=True)


def test_a_liaison_uploads_the_self_inspection_report_and_a_bad_file_is_refused(app, program):
    client = app.test_client()
    AuthActions(client).login("liaison")
    token = csrf_token_from(client.get("/unit/program/").get_data(as_text=True))
    url = f"/unit/program/{program.cu['A']}/reports"
    bad = client.post(
        url,
        data={"csrf_token": token, "note": "第一次自查", "report": (io.BytesIO(b"MZ\x90\x00"), "report.exe")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "第一次自查" in bad.get_data(as_text=True)
    fake = client.post(
        url,
        data={"csrf_token": token, "report": (io.BytesIO(b"not a pdf"), "自查.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    good = client.post(
        url,
        data={"csrf_token": token, "note": "按要求完成自查", "report": (io.BytesIO(PDF_MINIMAL), "自查报告.pdf")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    with app.app_context():
        [report] = plans.reports_of(program.cu["A"])
        assert report.original_name == "自查报告.pdf" and report.note == "按要求完成自查"
        report_id = report.id
    download = client.get(f"/unit/program/reports/{report_id}")
    assert download.status_code == 200 and download.data == PDF_MINIMAL
    assert download.headers["Content-Disposition"].startswith("attachment")
    # Unit B's cycle unit is not theirs to upload to.
    assert client.post(f"/unit/program/{program.cu['B']}/reports", data={"csrf_token": token}).status_code == 404
