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


def test_the_demo_lottery_is_committed_drawn_and_verifiable_and_gets_the_plans(app, runner, users, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    from intake.program.models import CycleUnit, SelectionMethod

    args = ["intake", "demo-program", "--password", "demo-password-1", "--actor", "admin", "--lottery", "2027"]
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "lottery 2027 drawn" in first.output
    assert "nothing to add" in runner.invoke(args=args).output
    record = app.test_client().get("/program/2027/draw.json").get_json()
    assert record["beacon"] == "3 5 2" and len(record["selected"]) == 2
    (tmp_path / "draw.json").write_text(json.dumps(record, ensure_ascii=False))
    root = Path(__file__).resolve().parents[2]
    verified = subprocess.run(
        [sys.executable, str(root / "tools" / "verify_draw.py"), str(tmp_path / "draw.json")],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with app.app_context():
        drawn = db.session.scalars(select(CycleUnit).where(CycleUnit.selection == SelectionMethod.lottery)).all()
        assert sorted(cu.unit.code for cu in drawn) == sorted(record["selected"])
        planned = {p.cycle_unit.unit.code for p in db.session.scalars(select(ImplementationPlan))}
        assert planned == set(record["selected"])
        # The stages are dated from the mobilisation meeting, so the plan's timetable is complete.
        assert all(stage.due_on is not None for stage in drawn[0].cycle.stages)
