"""The appraisal through its pages: staff create, open (the key shown once), close and count a
session; members vote on their phone and read receipts and results; nothing else is written by a
vote; then the notice, the opinions' tasks, the liaison's notice and the public page."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from intake.appraisal.models import HandedOpinion, UnitNotice
from intake.extensions import db
from intake.program.models import CycleUnit
from tests.appraisal.conftest import cycle_unit_ids
from tests.conftest import AuthActions, csrf_token_from

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
VOTE_TABLES = {"appraisal_ballots", "appraisal_receipts", "appraisal_roll"}


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def _snapshot(app) -> dict:
    """Every row of every table but the three a vote writes to."""
    with app.app_context():
        return {
            t.name: sorted(map(repr, db.session.execute(t.select()).all()))
            for t in db.metadata.sorted_tables
            if t.name not in VOTE_TABLES
        }


def _client(app, username):
    client = app.test_client()
    assert AuthActions(client).login(username).status_code == 302
    return client


def _post(client, url, page_url, **data):
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_a_session_through_its_pages(app, users, voters):
    staff = _client(app, "staff")
    with app.app_context():
        units = cycle_unit_ids()
    now = datetime.now(ZoneInfo("UTC"))
    form = {
        "title": "2026年度民主评议",
        "opens_at": _local(now - timedelta(hours=1)),
        "closes_at": _local(now - timedelta(hours=2)),
        "unit_ids": [str(u) for u in units],
        "member_ids": [str(v) for v in voters],
        "quorum_numerator": "2",
        "quorum_denominator": "3",
        "satisfied_percent": "50",
        "basic_percent": "50",
    }
    bad = _post(staff, "/staff/appraisal/new/2026", "/staff/appraisal/new/2026", **form)
    assert bad.status_code == 400 and "2026年度民主评议" in bad.get_data(as_text=True)
    # The error stands under the closing time, the field at fault, not under the title.
    html = bad.get_data(as_text=True)
    assert 'id="closes_at-errors"' in html and 'id="title-errors"' not in html
    assert (
        _post(
            staff, "/staff/appraisal/new/2026", "/staff/appraisal/new/2026", **{**form, "quorum_numerator": "x"}
        ).status_code
        == 400
    )
    form["closes_at"] = _local(now + timedelta(hours=2))
    created = _post(staff, "/staff/appraisal/new/2026", "/staff/appraisal/new/2026", **form)
    assert created.status_code == 303
    page = created.headers["Location"]
    session_id = int(page.rsplit("/", 1)[1])

    opened = _post(staff, f"{page}/open", page)
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="key-code"[^>]*>([A-Z2-7-]+)<', opened.get_data(as_text=True)).group(1)
    assert key not in staff.get(page).get_data(as_text=True)  # shown once

    vote_url = f"/member/appraisal/{session_id}/vote"
    voter = _client(app, "voter1")
    assert voter.get(vote_url).status_code == 200
    bad_mark = _post(voter, vote_url, vote_url, **{"unit-1": "satisfied", "unit-2": "excellent"})
    assert bad_mark.status_code == 400 and 'value="satisfied" checked' in bad_mark.get_data(as_text=True)
    before = _snapshot(app)
    cast = _post(voter, vote_url, vote_url, **{"unit-1": "satisfied", "unit-2": "basic"})
    assert cast.status_code == 200 and cast.headers["Cache-Control"] == "no-store"
    receipt = re.search(r'id="receipt"[^>]*>([A-Z0-9]+)<', cast.get_data(as_text=True)).group(1)
    assert _snapshot(app) == before  # no event, no "last seen", nothing but the vote's own rows
    assert _post(voter, vote_url, vote_url, **{"unit-1": "dissatisfied", "unit-2": "basic"}).status_code == 400
    second = _client(app, "voter2")
    assert _post(second, vote_url, vote_url, **{"unit-1": "satisfied", "unit-2": "abstain"}).status_code == 200

    # Sealed for everyone until closed, quorate and counted.
    for client, url in (
        (staff, f"{page}/results"),
        (voter, f"/member/appraisal/{session_id}/results"),
        (voter, f"/member/appraisal/{session_id}/receipts"),
    ):
        assert client.get(url).status_code == 403
    assert _post(staff, f"{page}/count", page, key_code=key).status_code == 403  # still open
    assert _post(staff, f"{page}/close", page).status_code == 303
    third = _client(app, "voter3")
    assert _post(third, vote_url, "/member/appraisal/", **{"unit-1": "basic", "unit-2": "basic"}).status_code == 400
    wrong = _post(staff, f"{page}/count", page, key_code="ABCD-" * 14)
    assert wrong.status_code == 400 and "ABCD-ABCD" not in wrong.get_data(as_text=True)
    junk_file = _post(staff, f"{page}/count", page, key_file=(io.BytesIO(b"\xff\xfe junk"), "key.txt"))
    assert junk_file.status_code == 400
    assert staff.get(f"{page}/results").status_code == 403
    good = _post(staff, f"{page}/count", page, key_file=(io.BytesIO(f"# key\n{key}\n".encode()), "key.txt"))
    assert good.status_code == 303
    results = staff.get(f"{page}/results").get_data(as_text=True)
    assert "<svg" not in results and "data:image/svg+xml" in results
    assert voter.get(f"/member/appraisal/{session_id}/results").status_code == 200
    assert receipt in voter.get(f"/member/appraisal/{session_id}/receipts").get_data(as_text=True)
    county = staff.get("/staff/appraisal/year/2026/notice.html")
    assert county.status_code == 200 and 'class="chart"' in county.get_data(as_text=True)

    # The notice: the liaison sees nothing before it is issued.
    cu = units[0]
    liaison = _client(app, "liaison")
    with app.app_context():
        zwfw_cu = next(u for u in units if db.session.get(CycleUnit, u).unit.code == "zwfw")
    assert liaison.get(f"/unit/appraisal/{zwfw_cu}/notice.html").status_code == 404
    unit_page = f"/staff/appraisal/units/{zwfw_cu}"
    assert _post(staff, f"{unit_page}/opinions", unit_page, text="   ").status_code == 400
    assert _post(staff, f"{unit_page}/opinions", unit_page, text="窗口午间无人值守").status_code == 303
    assert _post(staff, f"{unit_page}/tasks", unit_page, opinion="1").status_code == 400  # not issued yet
    assert _post(staff, f"{unit_page}/issue", unit_page).status_code == 303
    assert _post(staff, f"{unit_page}/issue", unit_page).status_code == 400
    with app.app_context():
        opinion_id = db.session.scalars(select(HandedOpinion.id)).one()
        assert db.session.scalars(select(UnitNotice)).one().cycle_unit_id == zwfw_cu
    assert _post(staff, f"{unit_page}/tasks", unit_page, opinion="abc").status_code == 400
    opened_tasks = _post(
        staff,
        f"{unit_page}/tasks",
        unit_page,
        opinion=str(opinion_id),
        **{f"requirement-{opinion_id}": "十五个工作日内整改"},
    )
    assert opened_tasks.status_code == 303
    with app.app_context():
        assert db.session.get(HandedOpinion, opinion_id).task.requirement == "十五个工作日内整改"
    notice = liaison.get(f"/unit/appraisal/{zwfw_cu}/notice.html").get_data(as_text=True)
    assert "窗口午间无人值守" in notice and "满意" in notice
    assert liaison.get(f"/unit/appraisal/{cu if cu != zwfw_cu else units[1]}/notice.html").status_code == 404
    public = app.test_client().get("/program/2026/units/zwfw").get_data(as_text=True)
    assert 'id="grade"' in public and "Voter1" not in public
    assert app.test_client().get("/program/2026/units/gk").get_data(as_text=True).count('id="grade"') == 0
    for lang in ("zh_Hans", "zh_Hant", "en"):
        assert voter.get(f"/member/appraisal/units/{zwfw_cu}?lang={lang}").status_code == 200
        assert staff.get(f"/staff/appraisal/units/{zwfw_cu}?lang={lang}").status_code == 200


def test_a_cast_is_five_statements_and_nothing_after_its_commit(app, voters, voting_session):
    """50 members vote within the same second (issue 19): each cast is one short transaction of
    five statements (the member, the session with its units, the roll flag's UPDATE, the ballot,
    the receipt): the roll is not read (the UPDATE decides) and no second transaction reloads
    what the page shows."""
    from sqlalchemy import event

    session_id, _key = voting_session
    vote_url = f"/member/appraisal/{session_id}/vote"
    voter = _client(app, "voter1")
    token = csrf_token_from(voter.get(vote_url).get_data(as_text=True))
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def committed(conn):
        statements.append("COMMIT")

    event.listen(engine, "before_cursor_execute", seen)
    event.listen(engine, "commit", committed)
    try:
        cast = voter.post(vote_url, data={"csrf_token": token, "unit-1": "satisfied", "unit-2": "basic"})
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", committed)
    assert cast.status_code == 200 and 'id="receipt"' in cast.get_data(as_text=True)
    assert statements[-1] == "COMMIT", statements[statements.index("COMMIT") :]
    roll_reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM appraisal_roll" in s]
    assert roll_reads == []
    assert len([s for s in statements if s != "COMMIT"]) == 5, statements
    again = voter.post(vote_url, data={"csrf_token": token, "unit-1": "satisfied", "unit-2": "basic"})
    assert again.status_code == 400


def test_a_member_not_on_the_roll_gets_404_whatever_the_form_says(app, voters, voting_session):
    """The cast no longer reads the roll before it tries; a member who is not on it must still
    learn nothing about the session, with a good form or a bad mark (an expired form is refused
    by the app-wide CSRF check before any view, the same 400 on every page)."""
    from tests.conftest import make_user

    session_id, _key = voting_session
    make_user(app, "outsider", "member")
    outsider = _client(app, "outsider")
    vote_url = f"/member/appraisal/{session_id}/vote"
    assert outsider.get(vote_url).status_code == 404
    token = csrf_token_from(outsider.get("/member/").get_data(as_text=True))
    good = {"csrf_token": token, "unit-1": "satisfied", "unit-2": "basic"}
    for form in (good, {**good, "unit-2": "superb"}, {**good, "unit-1": ""}):
        assert outsider.post(vote_url, data=form).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["appraisal_ballots"])) == 0
