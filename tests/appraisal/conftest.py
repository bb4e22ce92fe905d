from datetime import timedelta

import pytest
from sqlalchemy import select

from intake.appraisal import ballot
from intake.appraisal.services import voting
from intake.extensions import db
from intake.program.models import CycleUnit, SupervisionCycle
from intake.timeutil import utcnow
from tests.conftest import make_user


@pytest.fixture
def voters(app):
    """Three standing-committee members on the roll."""
    return [make_user(app, f"voter{i}", "member") for i in (1, 2, 3)]


def cycle_unit_ids(year: int = 2026) -> list[int]:
    return list(
        db.session.scalars(
            select(CycleUnit.id).join(SupervisionCycle).where(SupervisionCycle.year == year).order_by(CycleUnit.id)
        )
    )


@pytest.fixture
def voting_session(app, voters):
    """An open session on the seed's two 2026 units; returns (session id, the tellers' key code)."""
    with app.app_context():
        now = utcnow()
        session = voting.create_session(
            2026,
            voting.SessionInput(
                title="2026年度民主评议",
                opens_at=now - timedelta(hours=1),
                closes_at=now + timedelta(hours=2),
                member_ids=voters,
                cycle_unit_ids=cycle_unit_ids(),
            ),
        )
        private = voting.open_session(session, None)
        db.session.commit()
        return session.id, ballot.key_code(private)
