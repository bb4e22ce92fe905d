"""The whole path through HTTP, on both databases: staff route, the unit works the task,
members verify (and return it once), the reporter rates."""

import io
import re
from datetime import timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.rectification.models.outbox import ClosureNotice
from intake.rectification.models.ratings import ReporterRating
from intake.rectification.models.read_audit import ReadKind, UnitReadAudit
from intake.rectification.models.tasks import RectificationTask, TaskStatus
from tests.conftest import AuthActions, csrf_token_from
from tests.factories import PNG_1X1
from tests.helpers import open_progress, post_form
from tests.rectification.conftest import post_route


def _task(app, task_id) -> RectificationTask:
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        db.session.expunge_all()
        return task


def _item_status(app, item_id) -> ItemStatus:
    with app.app_context():
        return db.session.get(FeedbackItem, item_id).status


def test_report_followed_from_routing_to_a_rated_fix(app, client, users, ref, ledger):
    item_id = ledger.item()
    auth = AuthActions(client)

    # Staff route the item from its page.
    auth.login("staff")
    page = client.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert 'id="route-form"' in page
    r = post_route(client, item_id, ref.unit["zwfw"], "便民窗口工作人员让群众多次往返", "限期整改并反馈")
    assert r.status_code == 303
    task_id = int(re.search(r"/tasks/(\d+)", r.headers["Location"]).group(1))
    task = _task(app, task_id)
    assert task.status is TaskStatus.dispatched and task.deadline > task.first_answer_due
    assert _item_status(app, item_id) is ItemStatus.routed
    assert client.get(f"/staff/rectification/tasks/{task_id}").status_code == 200

    # The unit's liaison signs, posts progress with evidence, asks for more time.
    liaison = app.test_client()
    AuthActions(liaison).login("liaison")
    url = f"/unit/tasks/{task_id}"
    assert liaison.get("/unit/").status_code == 200
    r = post_form(
        liaison, url + "/sign", {"measures": "设立监督岗，全员培训", "responsible_person": "王科长"}, get_url=url
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    assert _item_status(app, item_id) is ItemStatus.rectifying
    r = post_form(
        liaison,
        url + "/progress",
        {"note": "已组织培训", "files": (io.BytesIO(PNG_1X1), "现场.png")},
        get_url=url,
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    assert _task(app, task_id).status is TaskStatus.in_progress
    # Ten days past the task's own deadline, whatever day the suite runs.
    wanted = _task(app, task_id).deadline + timedelta(days=10)
    r = post_form(
        liaison, url + "/extension", {"requested_deadline": wanted.isoformat(), "reason": "需采购设备"}, get_url=url
    )
    assert r.status_code == 303

    # Staff approve the extension.
    staff = app.test_client()
    AuthActions(staff).login("staff")
    with app.app_context():
        request_id = db.session.get(RectificationTask, task_id).extension_requests[0].id
    r = post_form(
        staff,
        f"/staff/rectification/tasks/{task_id}/extensions/{request_id}",
        {"decision": "approve", "note": "同意"},
        get_url=f"/staff/rectification/tasks/{task_id}",
    )
    assert r.status_code == 303
    assert _task(app, task_id).deadline == wanted

    # The unit reports completion; a member goes, finds it not done, returns it.
    r = post_form(liaison, url + "/complete", {"completion_report": "已完成整改"}, get_url=url)
    assert r.status_code == 303 and _task(app, task_id).status is TaskStatus.reported_done
    member = app.test_client()
    AuthActions(member).login("member")
    murl = f"/member/rectification/tasks/{task_id}"
    assert task_id and str(task_id) in member.get("/member/rectification/").get_data(as_text=True)
    r = post_form(
        member,
        murl + "/visit",
        {
            "visited_on": "2026-11-20",
            "visitors": "委员甲",
            "findings": "仍有群众排队",
            "outcome": "returned",
            "reasons": "",
        },
        get_url=murl,
    )
    assert r.status_code == 400  # reasons are required to return
    r = post_form(
        member,
        murl + "/visit",
        {
            "visited_on": "2026-11-20",
            "visitors": "委员甲",
            "findings": "仍有群众排队",
            "outcome": "returned",
            "reasons": "监督岗未设立",
        },
        get_url=murl,
    )
    assert r.status_code == 303
    task = _task(app, task_id)
    assert task.status is TaskStatus.returned and task.returned_count == 1

    # Rework, report again, member accepts: the task and its item close; a notice waits.
    r = post_form(liaison, url + "/progress", {"note": "已设立监督岗"}, get_url=url)
    r = post_form(liaison, url + "/complete", {"completion_report": "监督岗已设立"}, get_url=url)
    r = post_form(
        member,
        murl + "/visit",
        {
            "visited_on": "2026-11-25",
            "visitors": "委员甲、委员乙",
            "findings": "整改到位",
            "outcome": "accepted",
            "photos": (io.BytesIO(PNG_1X1), "核实.png"),
        },
        get_url=murl,
        content_type="multipart/form-data",
    )
    assert r.status_code == 303
    assert _task(app, task_id).status is TaskStatus.closed
    assert _item_status(app, item_id) is ItemStatus.closed
    with app.app_context():
        notices = db.session.scalars(select(ClosureNotice)).all()
        assert [(n.item_id, n.closure_round) for n in notices] == [(item_id, 1)]
        item = db.session.get(FeedbackItem, item_id)
        code, secret = item.tracking_code, item.lookup_secret
        reads = db.session.scalars(select(UnitReadAudit.kind)).all()
        assert ReadKind.task in reads and ReadKind.list in reads

    # The reporter sees the outcome and rates it 不满意: the task is reopened for staff.
    public = app.test_client()
    status_url = f"/jiandu/track/{code}"
    page = open_progress(public, code, secret).get_data(as_text=True)
    assert 'id="rating-form"' in page
    r = post_form(
        public,
        f"/jiandu/track/{code}/rating",
        {"grade": "dissatisfied", "comment": "还是要排队"},
        get_url=status_url,
    )
    assert r.status_code == 303
    assert _task(app, task_id).status is TaskStatus.reopened
    page = public.get(status_url).get_data(as_text=True)
    assert 'id="rating-form"' not in page and 'id="rating-given"' in page
    token = csrf_token_from(public.get("/jiandu/").get_data(as_text=True))
    r = public.post(f"/jiandu/track/{code}/rating", data={"csrf_token": token, "grade": "satisfied"})
    assert r.status_code == 303  # told it was rated already
    with app.app_context():
        assert db.session.scalar(select(db.func.count(ReporterRating.id))) == 1
    # A session that never proved the secret cannot rate.
    stranger = app.test_client()
    token = csrf_token_from(stranger.get("/jiandu/").get_data(as_text=True))
    r = stranger.post(f"/jiandu/track/{code}/rating", data={"csrf_token": token, "grade": "satisfied"})
    assert r.status_code == 404

    # Staff send it back to the unit; the item is reopened too.
    r = post_form(
        staff,
        f"/staff/rectification/tasks/{task_id}/review",
        {"decision": "return", "note": "群众仍不满意"},
        get_url=f"/staff/rectification/tasks/{task_id}",
    )
    assert r.status_code == 303
    assert _task(app, task_id).status is TaskStatus.returned
    assert _item_status(app, item_id) is ItemStatus.rectifying

    # The ledger, its export and the figures answer.
    assert staff.get("/staff/rectification/?status=open").status_code == 200
    assert staff.get("/staff/rectification/export.xlsx").status_code == 200
    assert staff.get("/staff/rectification/figures").status_code == 200
    unit_page = public.get("/jiandu/units/zwfw").get_data(as_text=True)
    # Figures only: no report text, no problem statement, no names.
    assert 'data-figure="tasks">1<' in unit_page and 'data-figure="routed">1<' in unit_page
    assert "多次往返" not in unit_page and "白跑" not in unit_page and "李" not in unit_page
    assert "县政务服务管理局" in public.get("/jiandu/units/").get_data(as_text=True)
    assert public.get("/jiandu/units/fgw").status_code == 404  # not under listed supervision


def test_a_refused_routing_keeps_what_staff_typed_beside_the_field_at_fault(app, client, users, ref, ledger):
    """A deadline out of range: the item page again (400) with the problem and the requirement as
    typed and the error under the deadline field, not a flash far above the form."""
    item_id = ledger.item()
    AuthActions(client).login("staff")
    r = post_route(
        client, item_id, ref.unit["zwfw"], "窗口人员让群众往返三次", "一次性告知所需材料", deadline_workdays="999"
    )
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    form = page[page.index('id="route-form"') :]
    assert "窗口人员让群众往返三次" in form and "一次性告知所需材料" in form and 'value="999"' in form
    assert "1 至 250" in form or "Between 1 and 250" in form
    assert _item_status(app, item_id) is not ItemStatus.routed
