"""The answer tables hold only what is on this list, on both databases: a column that could tell
who answered or when (an account, an address, a user agent, a timestamp, an autoincrement)
cannot be added without changing this test, in review."""

import pytest
from sqlalchemy import inspect

from intake.extensions import db

ALLOWED = {
    "survey_responses": {"id", "questionnaire_id", "answered_on"},
    "survey_answers": {"id", "response_id", "question_id", "choice_id", "number_value", "text_value", "item_id"},
    # A code is only its hash and whether it was used: nothing of who held it, nor of the answer.
    "survey_access_codes": {"id", "questionnaire_id", "code_hash", "used"},
}
RANDOM_IDS = {"survey_responses", "survey_answers", "survey_access_codes"}


@pytest.mark.parametrize("table", sorted(ALLOWED))
def test_answer_tables_hold_only_allowed_columns(app_ctx, table):
    inspector = inspect(db.engine)
    columns = {c["name"]: c for c in inspector.get_columns(table)}
    assert set(columns) == ALLOWED[table]
    assert set(db.metadata.tables[table].columns.keys()) == ALLOWED[table]
    if table in RANDOM_IDS:
        # Text ids from secrets, not a counter whose order says who came after whom.
        assert "CHAR" in str(columns["id"]["type"]).upper() and columns["id"].get("autoincrement") is not True
    assert not any("time" in str(c["type"]).lower() for c in columns.values())
