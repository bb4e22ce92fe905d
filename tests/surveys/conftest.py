"""A questionnaire about the service bureau (zwfw) in the seed's 2026 cycle, open from a month
before today to a month after (dates derived from the clock the suite runs on)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from intake.extensions import db
from intake.program import services as program
from intake.reference.models import Unit
from intake.surveys import answering, services
from intake.timeutil import local_today, utcnow


@dataclass
class SurveyRef:
    id: int
    token: str
    cycle_id: int
    unit_id: int


def make_questionnaire(unit_code: str = "zwfw", requires_code: bool = False, **times) -> SurveyRef:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
    cycle = program.get_cycle(2026)
    now = utcnow()
    q = services.create_questionnaire(
        cycle.id,
        unit_id,
        "",
        times.get("opens_at", now - timedelta(days=30)),
        times.get("closes_at", now + timedelta(days=30)),
        from_template=True,
        requires_code=requires_code,
    )
    db.session.commit()
    return SurveyRef(q.id, q.token, cycle.id, unit_id)


@pytest.fixture
def survey(app) -> SurveyRef:
    with app.app_context():
        return make_questionnaire()


def answer(q, day=None, code=None, **values):
    """Store one response through the same checks as the page; values by question name."""
    form = MultiDict()
    for name, value in values.items():
        for one in value if isinstance(value, list) else [value]:
            form.add("q_" + name, str(one))
    submission = answering.read_submission(q, form.getlist)
    assert submission.errors == {}
    return answering.store_response(q, submission, day or local_today(), code)


SATISFIED = {"satisfaction": "satisfied", "waited": "w10", "trips": 1}
