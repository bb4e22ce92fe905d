"""`intake demo-surveys`, run by `make run`: a questionnaire with a few dozen answers whose
results page shows charts, added once."""

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.surveys.models import Questionnaire, Response

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_the_demo_questionnaire_has_answers_and_charts(app, runner, client, auth, users):
    first = runner.invoke(args=["intake", "demo-surveys", "--actor", "admin"])
    assert first.exit_code == 0 and "36 answers" in first.output, first.output
    assert "nothing to add" in runner.invoke(args=["intake", "demo-surveys", "--actor", "admin"]).output
    with app.app_context():
        q = db.session.scalar(select(Questionnaire))
        assert q.results_published and db.session.scalar(select(func.count()).select_from(Response)) == 36
    auth.login("staff")
    page = client.get(f"/staff/surveys/{q.id}/results").get_data(as_text=True)
    assert "36 份答卷" in page and page.count("data:image/svg+xml") >= 6
    assert client.get(f"/staff/surveys/{q.id}").status_code == 200
