"""Fixtures of the ledger's tests: a second unit's liaison, routed tasks, a calendar that
does not run out when the suite is run after the package's last known year."""

import json
from datetime import date

import pytest
from sqlalchemy import select

from intake.extensions import db
from tests.conftest import make_user
from tests.factories import create_item
from tests.helpers import post_form


@pytest.fixture(autouse=True)
def calendar_beyond_package(request, tmp_path_factory):
    """Years after 2026 counted weekends-only, FOR TESTS ONLY: routing in late December 2026
    counts into 2027, which chinese-calendar 1.11 does not know. Production fails loudly."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    path = tmp_path_factory.mktemp("calendar") / "later-years.json"
    path.write_text(json.dumps({str(y): {"holidays": [], "workdays": []} for y in range(2027, 2031)}))
    app.config["WORKDAY_CALENDAR_FILE"] = str(path)


@pytest.fixture
def liaison_b(app):
    """A liaison of the other supervised unit (县工科局)."""
    return make_user(app, "liaison_b", "liaison", unit_code="gk")


class Ledger:
    """Builds tasks the way production does: items through the feedback service, routing
    through route_items_to_unit, the unit's steps through the ledger's services."""

    def __init__(self, app, users, ref):
        self.app, self.users, self.ref = app, users, ref

    def item(self, **fields) -> int:
        with self.app.app_context():
            item = create_item(**fields)
            db.session.commit()
            return item.id

    def route(self, item_ids, unit="zwfw", problem="窗口工作人员态度生硬，群众多次往返", **kw) -> int:
        from intake.rectification.services import routing

        with self.app.app_context():
            task = routing.route_items_to_unit(
                item_ids, self.ref.unit[unit], problem, "立即整改，15个工作日内反馈", self.users["staff"], **kw
            )
            db.session.commit()
            return task.id

    def advance(self, task_id: int, to: str) -> None:
        """Walk a task forward: signed, in_progress, reported_done, closed."""
        from intake.rectification.models.tasks import RectificationTask
        from intake.rectification.models.visits import VisitOutcome
        from intake.rectification.services import unit_steps, verification

        steps = ["signed", "in_progress", "reported_done", "closed"]
        with self.app.app_context():
            task = db.session.get(RectificationTask, task_id)
            liaison = task_liaison(task)
            for step in steps[: steps.index(to) + 1]:
                if step == "signed" and task.status.value == "dispatched":
                    unit_steps.sign_task(task, liaison, measures="加强培训，设立监督岗", responsible_person="王科长")
                elif step == "in_progress" and task.status.value in ("signed", "returned"):
                    unit_steps.post_progress(task, liaison, "已组织全员培训")
                elif step == "reported_done" and task.status.value in ("signed", "in_progress", "returned"):
                    unit_steps.report_completion(task, liaison, "已完成整改，设立监督岗")
                elif step == "closed" and task.status.value in ("reported_done", "verifying"):
                    verification.record_visit(
                        task,
                        self.users["member"],
                        visited_on=date(2026, 11, 20),
                        visitors="委员甲、委员乙",
                        findings="现场查看，整改到位",
                        outcome=VisitOutcome.accepted,
                    )
            db.session.commit()


def task_liaison(task) -> int:
    from intake.auth.models import User

    return db.session.scalar(select(User.id).where(User.unit_id == task.unit_id, User.role == "liaison")) or None


@pytest.fixture
def ledger(app, users, ref):
    return Ledger(app, users, ref)


def post_route(client, item_id: int, unit_id: int, problem: str, requirement: str, **fields):
    """The staff item page's route form (分办) posted as a browser would: a new task unless
    `task_id` is given; further fields (deadlines) as typed."""
    data = {"item_id": item_id, "unit_id": unit_id, "task_id": "0", "problem": problem, "requirement": requirement}
    return post_form(client, "/staff/rectification/route", {**data, **fields}, get_url=f"/staff/items/{item_id}")
