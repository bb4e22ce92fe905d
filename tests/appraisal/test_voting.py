"""The secret ballot end to end at service level: casting once, paper ballots, results sealed
until close + quorum + the tellers' key, receipts; and on PostgreSQL 50 concurrent submissions
by one member and the bytes of the ballot table."""

import re
import subprocess
import threading

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from intake.appraisal import ballot
from intake.appraisal.models import (
    AppraisalSession,
    BallotReceipt,
    Grade,
    RollEntry,
    SealedBallot,
    SessionState,
)
from intake.appraisal.services import AppraisalError, ResultsHidden, voting
from intake.extensions import db

S, B, D = Grade.satisfied, Grade.basic, Grade.dissatisfied
GRADE_WORDS = [g.value for g in Grade] + ["满意", "基本满意", "不满意", "弃权", "abstain"]


def _session(session_id) -> AppraisalSession:
    return db.session.get(AppraisalSession, session_id)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_ballot_from_cast_to_count(app_ctx, voters, voting_session):
    session_id, key = voting_session
    session = _session(session_id)
    receipt = voting.cast_vote(session, voters[0], [S, B])
    db.session.commit()
    with pytest.raises(AppraisalError):
        voting.cast_vote(session, voters[0], [D, D])  # a second vote
    db.session.rollback()
    with pytest.raises(AppraisalError):
        voting.cast_vote(session, voters[1], [S])  # a unit left unmarked
    db.session.rollback()
    # Results and receipts: sealed while open, whoever asks, even with the key.
    with pytest.raises(ResultsHidden):
        voting.results_of(session)
    with pytest.raises(ResultsHidden):
        voting.receipt_codes(session)
    with pytest.raises(ResultsHidden):
        voting.count_ballots(session, key, None)
    db.session.rollback()

    voting.close_session(session, None)
    db.session.commit()
    with pytest.raises(AppraisalError):
        voting.cast_vote(session, voters[1], [S, S])
    db.session.rollback()
    # 1 of 3 voted: below the two-thirds quorum, nothing is counted.
    with pytest.raises(ResultsHidden):
        voting.count_ballots(session, key, None)
    db.session.rollback()
    assert voting.receipt_codes(session) == [receipt]

    # Paper ballots (allowed until the count): two members handed theirs in.
    with pytest.raises(AppraisalError):
        voting.enter_paper_ballots(session, [voters[1], voters[2]], "满意 不满意", None)  # one line for two
    db.session.rollback()
    with pytest.raises(AppraisalError):
        voting.enter_paper_ballots(session, [voters[0], voters[1]], "满意 满意\n基本 弃权", None)  # voter 1 voted
    db.session.rollback()
    assert voting.enter_paper_ballots(session, [voters[1], voters[2]], "满意，基本满意\nB 弃权", None) == 2
    db.session.commit()
    assert voting.turnout(session) == voting.Turnout(roll=3, voted=3, ballots=3, paper=2)

    other, _ = ballot.new_key_pair()
    for bad_key in ("", "ABCD-EFGH", ballot.key_code(other)):
        with pytest.raises(AppraisalError):
            voting.count_ballots(session, bad_key, None)
        db.session.rollback()
    with pytest.raises(ResultsHidden):
        voting.results_of(session)

    results = voting.count_ballots(session, key, None)
    db.session.commit()
    first, second = voting.results_of(_session(session_id))
    assert (first.satisfied, first.basic, first.dissatisfied, first.abstained, first.grade) == (2, 1, 0, 0, S)
    assert (second.satisfied, second.basic, second.dissatisfied, second.abstained, second.grade) == (0, 2, 0, 1, B)
    assert len(results) == 2 and _session(session_id).state is SessionState.counted
    with pytest.raises(AppraisalError):
        voting.count_ballots(session, key, None)  # counted once
    db.session.rollback()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_roll_ballot_and_receipt_tables_hold_only_allowed_columns(app_ctx):
    allowed = {
        "appraisal_ballots": {"id", "session_id", "sealed"},
        "appraisal_receipts": {"id", "session_id", "code"},
        "appraisal_roll": {"id", "session_id", "user_id", "has_voted"},
    }
    inspector = inspect(db.engine)
    for table, columns in allowed.items():
        assert {c["name"] for c in inspector.get_columns(table)} == columns, table
        assert {c.name for c in db.metadata.tables[table].columns} == columns, table
    # No trigger may copy a ballot or a roll change elsewhere (with a time, say).
    if db.engine.dialect.name == "postgresql":
        triggers = db.session.scalars(
            text(
                "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND c.relname LIKE 'appraisal_%'"
            )
        ).all()
    else:
        triggers = db.session.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'appraisal_%'")
        ).all()
    assert triggers == []


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_fifty_concurrent_submissions_by_one_member_make_one_ballot(app, voters, voting_session):
    session_id, _key = voting_session
    start = threading.Barrier(50, timeout=60)
    outcomes = []

    def submit():
        with app.app_context():
            # Wait first, then take a connection: 50 threads holding one each would drain the pool.
            start.wait()
            session = db.session.get(AppraisalSession, session_id)
            try:
                voting.cast_vote(session, voters[0], [S, D])
                db.session.commit()
                outcomes.append("cast")
            except AppraisalError:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=submit) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["cast"] + ["refused"] * 49
    with app.app_context():
        count = lambda model: db.session.scalar(  # noqa: E731
            select(db.func.count()).select_from(model).where(model.session_id == session_id)
        )
        assert count(SealedBallot) == 1 and count(BallotReceipt) == 1
        assert db.session.scalars(select(RollEntry.has_voted).order_by(RollEntry.user_id)).all() == [True, False, False]


def _plaintexts(marks_list) -> list[bytes]:
    return [ballot.PLAINTEXT_PREFIX + ballot.marks_text(m).encode() for m in marks_list]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_ballot_table_holds_no_plaintext_grade(app_ctx, voters, voting_session, tmp_path):
    session_id, _key = voting_session
    session = _session(session_id)
    cast = [[S, B], [D, None]]
    for voter, marks in zip(voters, cast):
        voting.cast_vote(session, voter, marks)
    db.session.commit()
    # The grade words in either language, and each ballot's plaintext as sealed.
    needles = [w.encode() for w in GRADE_WORDS] + _plaintexts(cast) + [ballot.PLAINTEXT_PREFIX]

    stored = b"".join(
        row.id.bytes + bytes(row.sealed) + str(row.session_id).encode()
        for row in db.session.execute(select(SealedBallot.id, SealedBallot.session_id, SealedBallot.sealed))
    )
    assert stored and not [n for n in needles if n in stored]

    url = make_url(str(db.engine.url))
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "--table=appraisal_ballots",
            "-h",
            url.host,
            "-p",
            str(url.port or 5432),
            "-U",
            url.username,
            url.database,
        ],
        check=True,
        capture_output=True,
    ).stdout
    # The dump writes bytea as \x… hex: decode every hex run too, so the search sees raw bytes.
    decoded = b"".join(bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]+)", dump))
    assert len(decoded) >= sum(len(bytes(s)) for s in db.session.scalars(select(SealedBallot.sealed)))
    assert not [n for n in needles if n in dump or n in decoded]
