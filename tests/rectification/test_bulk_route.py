"""Routing from the staff queue's bulk actions: the selection becomes one rectification task
through route_items_to_unit; what cannot be routed is named or nothing changes."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, ItemStatus
from intake.feedback.services import change_status
from intake.rectification.models.tasks import RectificationTask
from tests.conftest import AuthActions
from tests.helpers import post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


def _bulk(client, item_ids, **fields):
    data = {"action": "route", "item_id": [str(i) for i in item_ids], **fields}
    response = post_form(client, "/staff/bulk", data, get_url="/staff/")
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_route_makes_one_task_and_names_what_it_left(app, users, ref, ledger):
    ids = [ledger.item(), ledger.item(), ledger.item()]
    invalid = ledger.item()
    with app.app_context():
        change_status(db.session.get(FeedbackItem, invalid), ItemStatus.invalid, actor_id=users["staff"])
        db.session.commit()
        invalid_code = db.session.get(FeedbackItem, invalid).tracking_code
    staff = app.test_client()
    AuthActions(staff).login("staff")
    assert 'value="route"' in staff.get("/staff/").get_data(as_text=True)
    html = _bulk(
        staff, ids + [invalid], unit_id=str(ref.unit["zwfw"]), problem="多个窗口午休不开门", requirement="调整午间值班"
    )
    assert "已更新 3 项" in html and invalid_code in html
    with app.app_context():
        tasks = db.session.scalars(select(RectificationTask)).all()
        assert len(tasks) == 1 and tasks[0].problem == "多个窗口午休不开门"
        assert sorted(i.id for i in tasks[0].items) == ids and tasks[0].unit_id == ref.unit["zwfw"]
        assert {db.session.get(FeedbackItem, i).status for i in ids} == {ItemStatus.routed}
    assert tasks[0].code in staff.get("/staff/rectification/").get_data(as_text=True)

    # One item already in an open task: the whole action is refused and nothing changes.
    fresh = ledger.item()
    _bulk(staff, [ids[0], fresh], unit_id=str(ref.unit["gk"]), problem="再次分办", requirement="要求")
    # No problem statement: refused too.
    _bulk(staff, [fresh], unit_id=str(ref.unit["gk"]), problem="", requirement="要求")
    with app.app_context():
        assert db.session.scalar(select(db.func.count(RectificationTask.id))) == 1
        assert db.session.get(FeedbackItem, fresh).status is not ItemStatus.routed
