"""A supervision year with two listed units, accounts of every role and, on request, approved
plans, reports, a group and a meeting: the world of the plan, group and meeting tests."""

from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.reference.models import Unit
from tests.conftest import make_user

YEAR = 2027
MOBILISATION = date(2027, 3, 1)


def cycle_units(app) -> dict[str, int]:
    """The 2027 cycle, its stages dated from the mobilisation meeting, zwfw (A) and gk (B) listed."""
    from intake.program import services

    with app.app_context():
        services.create_cycle(YEAR, starts_on=MOBILISATION)
        ids = {}
        for key, code in (("A", "zwfw"), ("B", "gk")):
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == code))
            ids[key] = services.list_unit(YEAR, unit_id).id
        db.session.commit()
        return ids


@pytest.fixture
def program(app, users):
    """cu A (县政务服务管理局) and B (县工科局); liaison_b is B's liaison, member_b a second member."""
    ids = cycle_units(app)
    return SimpleNamespace(
        cu=ids,
        users=dict(
            users,
            liaison_b=make_user(app, "liaison_b", "liaison", unit_code="gk"),
            member_b=make_user(app, "member_b", "member"),
        ),
    )


def symposium():
    """A 座谈会 with one finding, held a month after mobilisation."""
    from intake.program import groups
    from intake.program.plan_models import MeetingKind

    return groups.MeetingInput(
        kind=MeetingKind.symposium,
        held_on=date(2027, 4, 8),
        place="政务服务大厅",
        participants="委员、企业代表",
        minutes="座谈纪要",
        findings=["窗口午休无人值守"],
    )


def approved_plan(app, cu_id: int, staff_id: int) -> int:
    from intake.program import plans

    with app.app_context():
        plan = plans.start_plan(cu_id, staff_id)
        plans.approve_plan(plan, 1, staff_id)
        db.session.commit()
        return plan.id
