"""`intake demo-program`, run by `make run`: two approved plans, a group and a meeting on top of
the year's drawn units, and nothing more when run again."""

from sqlalchemy import func, select

from intake.extensions import db
from intake.program.plan_models import ImplementationPlan, Meeting, SupervisionGroup
from tests.conftest import AuthActions
from tests.program.plan_world import cycle_units


def test_the_demo_adds_plans_a_group_and_a_meeting_once(app, runner, users):
    cycle_units(app)
    first = runner.invoke(args=["intake", "demo-program", "--password", "demo-password-1", "--actor", "admin"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["intake", "demo-program", "--password", "demo-password-1", "--actor", "admin"])
    assert again.exit_code == 0 and "nothing to add" in again.output
    with app.app_context():
        plans = db.session.scalars(select(ImplementationPlan)).all()
        assert len(plans) == 2 and all(p.approved is not None for p in plans)
        assert plans[0].approved.leading_group[0]["name"] == "陈志强"
        assert db.session.scalar(select(func.count()).select_from(SupervisionGroup)) == 1
        [meeting] = db.session.scalars(select(Meeting)).all()
        assert meeting.findings[0].item_id is not None
    client = app.test_client()
    AuthActions(client).login("weiyuan", "demo-password-1")
    assert "张建华" in client.get("/member/program/").get_data(as_text=True)
    liaison = app.test_client()
    AuthActions(liaison).login("lianluo", "demo-password-1")
    assert "关于对县政务服务管理局" in liaison.get("/unit/program/").get_data(as_text=True)


def test_the_demo_needs_a_staff_account(app, runner):
    result = runner.invoke(args=["intake", "demo-program", "--password", "demo-password-1", "--actor", "nobody"])
    assert result.exit_code != 0
