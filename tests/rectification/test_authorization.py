"""Who may do what in the tracker, as a table: every role × every route × every method, with
object ownership (unit A's liaison against unit B's tasks and files)."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Attachment
from intake.feedback.services import UploadInput
from intake.rectification.models.tasks import RectificationTask
from intake.rectification.services import released_attachments, unit_steps
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import PNG_1X1, upload

ROLES = ["public", "staff", "member", "liaison_a", "liaison_b", "admin"]
LOGIN = {"staff": "staff", "member": "member", "liaison_a": "liaison", "liaison_b": "liaison_b", "admin": "admin"}


@pytest.fixture
def world(app, users, ref, liaison_b, ledger):
    """Task A (县政务服务管理局) with evidence, a released and an unreleased attachment; task B
    (县工科局) with evidence."""
    a1 = ledger.item(uploads=[upload("released.png")])
    a2 = ledger.item(uploads=[upload("secret.png")])
    b1 = ledger.item()
    task_a = ledger.route([a1, a2], unit="zwfw")
    task_b = ledger.route([b1], unit="gk")
    with app.app_context():
        ta, tb = db.session.get(RectificationTask, task_a), db.session.get(RectificationTask, task_b)
        att_released = db.session.scalar(select(Attachment.id).where(Attachment.item_id == a1))
        att_hidden = db.session.scalar(select(Attachment.id).where(Attachment.item_id == a2))
        released_attachments.release_attachment(ta, att_released, users["staff"])
        file_a = unit_steps.add_evidence(
            ta, users["liaison"], [UploadInput("a.png", "image/png", io.BytesIO(PNG_1X1))]
        )[0].id
        file_b = unit_steps.add_evidence(tb, liaison_b, [UploadInput("b.png", "image/png", io.BytesIO(PNG_1X1))])[0].id
        request_a = unit_steps.request_extension(ta, users["liaison"], ta.deadline + timedelta(days=10), "理由").id
        db.session.commit()
        code = ta.items[0].tracking_code
    return dict(
        A=task_a,
        B=task_b,
        file_a=file_a,
        file_b=file_b,
        att=att_released,
        att_hidden=att_hidden,
        req=request_a,
        code=code,
        item=a1,
    )


# (method, url, area, owner): owner "A" or "B" for routes about one unit's task.
ROUTES = [
    ("GET", "/staff/rectification/", "staff", None),
    ("GET", "/staff/rectification/export.xlsx", "staff", None),
    ("GET", "/staff/rectification/figures", "staff", None),
    ("POST", "/staff/rectification/route", "staff", None),
    ("GET", "/staff/rectification/tasks/{A}", "staff", None),
    ("POST", "/staff/rectification/tasks/{A}/deadline", "staff", None),
    ("POST", "/staff/rectification/tasks/{A}/extensions/{req}", "staff", None),
    ("POST", "/staff/rectification/tasks/{A}/release/{att_hidden}", "staff", None),
    ("POST", "/staff/rectification/tasks/{A}/hide/{att}", "staff", None),
    # The holiday calendar: admins only.
    ("GET", "/staff/rectification/calendar", "admin", None),
    ("POST", "/staff/rectification/calendar", "admin", None),
    ("POST", "/staff/rectification/tasks/{A}/review", "staff", None),
    ("GET", "/staff/rectification/files/{file_a}", "staff", None),
    # Reporter identity lives on the staff item page and its files: staff only.
    ("GET", "/staff/items/{item}", "staff", None),
    ("GET", "/staff/attachments/{att}", "staff", None),
    ("GET", "/unit/", "unit", None),
    ("GET", "/unit/export.xlsx", "unit", None),
    ("GET", "/unit/tasks/{A}", "unit", "A"),
    ("GET", "/unit/tasks/{B}", "unit", "B"),
    ("POST", "/unit/tasks/{A}/sign", "unit", "A"),
    ("POST", "/unit/tasks/{B}/sign", "unit", "B"),
    ("POST", "/unit/tasks/{A}/progress", "unit", "A"),
    ("POST", "/unit/tasks/{B}/progress", "unit", "B"),
    ("POST", "/unit/tasks/{A}/extension", "unit", "A"),
    ("POST", "/unit/tasks/{B}/extension", "unit", "B"),
    ("POST", "/unit/tasks/{A}/complete", "unit", "A"),
    ("POST", "/unit/tasks/{B}/complete", "unit", "B"),
    ("GET", "/unit/tasks/{A}/files/{file_a}", "unit", "A"),
    ("GET", "/unit/tasks/{B}/files/{file_b}", "unit", "B"),
    ("GET", "/unit/tasks/{A}/files/{file_b}", "unit", "nobody"),  # B's file through A's task
    ("GET", "/unit/tasks/{A}/attachments/{att}", "unit", "A"),
    ("GET", "/unit/tasks/{A}/attachments/{att_hidden}", "unit", "nobody"),  # not released
    ("GET", "/member/rectification/", "member", None),
    ("GET", "/member/rectification/tasks/{A}", "member", None),
    ("POST", "/member/rectification/tasks/{A}/visit", "member", None),
    ("GET", "/member/rectification/tasks/{A}/files/{file_a}", "member", None),
    ("GET", "/member/rectification/tasks/{B}/files/{file_a}", "member", "mismatch"),
    ("POST", "/jiandu/track/{code}/rating", "rating", None),
    ("GET", "/jiandu/units/", "public", None),
    ("GET", "/jiandu/units/zwfw", "public", None),
]
ALLOWED = {200, 303, 400, 409}


def expected(role: str, area: str, owner: str | None) -> int | set:
    if area == "public":
        return 200
    if area == "rating":
        return 404  # no secret: nobody, signed in or not, gets past the lookup
    if role == "public":
        return 302  # to the login page
    if area == "staff":
        return ALLOWED if role in ("staff", "admin") else 403
    if area == "admin":
        return ALLOWED if role == "admin" else 403
    if area == "member":
        if role not in ("member", "staff", "admin"):
            return 403
        return 404 if owner == "mismatch" else ALLOWED
    if area == "unit":
        if role not in ("liaison_a", "liaison_b"):
            return 403
        mine = {"liaison_a": "A", "liaison_b": "B"}[role]
        if owner is None:
            return ALLOWED
        return ALLOWED if owner == mine else 404
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
        data = {"csrf_token": token} if method == "POST" else None
        response = client.open(url, method=method, data=data)
        want = expected(role, area, owner)
        ok = response.status_code in want if isinstance(want, set) else response.status_code == want
        if not ok:
            failures.append(f"{role} {method} {url}: {response.status_code}, wanted {want}")
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]
        # Other methods are refused before any view runs.
        for other in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if other in (method, "HEAD") or (other, template) in listed:
                continue
            r = client.open(url, method=other, data={"csrf_token": token})
            if r.status_code != 405:
                failures.append(f"{role} {other} {url}: {r.status_code}, wanted 405")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_unit_reads_are_audited_and_liaison_b_never_reads_a(app, world, users, liaison_b):
    from intake.rectification.models.read_audit import ReadKind, UnitReadAudit

    client = app.test_client()
    AuthActions(client).login("liaison")
    client.get(f"/unit/tasks/{world['A']}")
    client.get(f"/unit/tasks/{world['A']}/files/{world['file_a']}")
    client.get(f"/unit/tasks/{world['A']}/attachments/{world['att']}")
    client.get("/unit/export.xlsx")
    other = app.test_client()
    AuthActions(other).login("liaison_b")
    assert other.get(f"/unit/tasks/{world['A']}").status_code == 404
    with app.app_context():
        rows = db.session.execute(
            select(UnitReadAudit.user_id, UnitReadAudit.kind, UnitReadAudit.task_id).order_by(UnitReadAudit.id)
        ).all()
    assert rows == [
        (users["liaison"], ReadKind.task, world["A"]),
        (users["liaison"], ReadKind.evidence, world["A"]),
        (users["liaison"], ReadKind.attachment, world["A"]),
        (users["liaison"], ReadKind.export, None),
    ]


IDENTITY = {"name": "欧阳雪梅", "phone": "13987654321", "email": "ouyang.xuemei@example.cn"}


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("role", ["member", "staff", "admin", "liaison_a", "liaison_b", "public"])
def test_members_read_the_report_but_never_who_made_it(app, users, liaison_b, ledger, role):
    """Members following up (追踪监督) read the item text and the unit's evidence; the reporter's
    identity stays with staff, even where the reporter wrote their phone into the text."""
    from intake.feedback.services import ReporterInput

    item = ledger.item(
        subject="盲道被占用", body="银行门口盲道被电动车占用，联系13987654321", reporter=ReporterInput(**IDENTITY)
    )
    task_id = ledger.route([item])
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        unit_steps.add_evidence(task, users["liaison"], [UploadInput("整改后.png", "image/png", io.BytesIO(PNG_1X1))])
        db.session.commit()
    client = app.test_client()
    if role != "public":
        AuthActions(client).login(LOGIN[role])
    pages = {url: client.get(url) for url in ("/member/rectification/", f"/member/rectification/tasks/{task_id}")}
    for url, response in pages.items():
        if role in ("member", "staff", "admin"):
            html = response.get_data(as_text=True)
            assert response.status_code == 200
            assert [v for v in IDENTITY.values() if v in html] == [], url
        else:
            assert response.status_code == (302 if role == "public" else 403)
    if role in ("member", "staff", "admin"):
        html = pages[f"/member/rectification/tasks/{task_id}"].get_data(as_text=True)
        assert "银行门口盲道被电动车占用" in html and "139****4321" in html
        assert "/member/rectification/tasks/%d/files/" % task_id in html
    # The item page (where staff may reveal the identity) is staff-only.
    assert client.get(f"/staff/items/{item}").status_code == {"staff": 200, "admin": 200, "public": 302}.get(role, 403)
