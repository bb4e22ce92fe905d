"""One-time codes on the real databases: a code answers once, also when 20 submissions with it
arrive at the same moment on PostgreSQL (the UPDATE … WHERE used = false in the answer's
transaction lets exactly one through)."""

import threading

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.surveys import answering, services
from intake.surveys.models import AccessCode, Response
from tests.surveys.conftest import SATISFIED, answer, make_questionnaire


def test_a_code_answers_once_and_a_failed_answer_keeps_it(app_ctx):
    ref = make_questionnaire(requires_code=True)
    q = services.questionnaire(ref.id)
    [code] = services.generate_codes(q, 1)
    db.session.commit()
    with pytest.raises(answering.CodeRejected):
        answer(q, **SATISFIED, code="WRONG123")
    db.session.rollback()
    answer(q, **SATISFIED, code=code)
    db.session.commit()
    with pytest.raises(answering.CodeRejected):
        answer(q, **SATISFIED, code=code)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(AccessCode.used)) is True


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_twenty_concurrent_submissions_with_one_code(app):
    with app.app_context():
        ref = make_questionnaire(requires_code=True)
        [code] = services.generate_codes(services.questionnaire(ref.id), 1)
        db.session.commit()
    start = threading.Barrier(20, timeout=30)
    outcomes = []

    def submit():
        # Wait before touching the database: the pool (15 connections) hands out the rest as
        # soon as the first commit or rollback returns one.
        start.wait()
        with app.app_context():
            try:
                q = services.questionnaire(ref.id)
                answer(q, **SATISFIED, code=code)
                db.session.commit()
                outcomes.append("stored")
            except answering.CodeRejected:
                db.session.rollback()
                outcomes.append("rejected")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["rejected"] * 19 + ["stored"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1
