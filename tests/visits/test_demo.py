"""`intake demo-visits`, run by `make run` after demo-program: a 暗访 visit with its checklist,
a photo and a finding that became an item, and nothing more when run again."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Source
from intake.visits.models import Visit
from tests.conftest import AuthActions

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_demo_records_an_unannounced_visit_once(app, runner, users):
    assert (
        runner.invoke(args=["intake", "demo-program", "--password", "demo-password-1", "--actor", "admin"]).exit_code
        == 0
    )
    first = runner.invoke(args=["intake", "demo-visits"])
    assert first.exit_code == 0 and "visit to" in first.output, first.output
    assert "nothing to add" in runner.invoke(args=["intake", "demo-visits"]).output
    with app.app_context():
        [visit] = db.session.scalars(select(Visit)).all()
        assert visit.incognito and visit.answers["wait_minutes"] == 45 and visit.answers["promise_kept"] is False
        assert len(visit.photos) == 1
        assert visit.findings[0].item.source is Source.visit
        visit_id = visit.id
    member = app.test_client()
    AuthActions(member).login("weiyuan", "demo-password-1")
    assert "不动产登记窗口" in member.get("/member/visits/").get_data(as_text=True)
    assert "一次办好" in member.get(f"/member/visits/{visit_id}").get_data(as_text=True)
