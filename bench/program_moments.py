"""The year's busy moments (issue 19, item 6), on PostgreSQL: the lottery draw with its public
record, 50 members casting their secret ballots within the same second, and the county's annual
notification for 28 units as PDF.

    .venv/bin/python bench/program_moments.py            # creates and drops intake_bench_moments
    .venv/bin/python bench/program_moments.py --rounds 3 --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Each round runs in a fresh database. The ballot burst is measured against a baseline taken in
the same run and under the same 50-thread burst: a bare one-row INSERT and COMMIT through the
same connection pool, so the ratio says what the ballot itself costs over the database's floor.
Targets (issue 19): cast p95 ≤ 50 ms and exactly one ballot per member; the notification for 28
units ≤ 60 s in all; the draw and draw.json ≤ 100 ms. Prints one JSON object per round and a
summary (medians). The ballot burst as deployed (gunicorn, one HTTP request per member):
bench/ballot_http.py."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadkit import cycle_ready_to_draw  # noqa: E402

MEMBERS = 50
UNITS = 28


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def burst(app, work, n: int) -> list[float]:
    """n threads released together by a barrier, each doing `work(i)` in its own app context;
    the milliseconds each took."""
    barrier = threading.Barrier(n)
    times: list[float] = [0.0] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            start = time.perf_counter()
            try:
                work(i)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            times[i] = (time.perf_counter() - start) * 1000

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return times


def one_round(admin_url: str, name: str) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from flask_migrate import upgrade
    from sqlalchemy import func, select, text

    from intake import create_app
    from intake.appraisal import ballot
    from intake.appraisal.models import AppraisalSession, Grade, RollEntry, SealedBallot
    from intake.appraisal.services import notices, voting
    from intake.auth.models import Role
    from intake.auth.services import create_user
    from intake.extensions import db
    from intake.program import services as program
    from intake.reference.services import seed_reference_data
    from intake.timeutil import utcnow
    from tests import servers

    url = servers.create_database(admin_url, name)
    tmp = Path(tempfile.mkdtemp(prefix="bench-moments-"))
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        UPLOAD_DIR=str(tmp / "uploads"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": MEMBERS + 5, "max_overflow": 10, "pool_pre_ping": True},
    )
    figures: dict = {}
    try:
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed_reference_data()
            staff = create_user("bench-staff", "bench-password-123", Role.staff, display_name="Bench")
            year = cycle_ready_to_draw(UNITS, staff.id)

            start = time.perf_counter()
            program.run_draw(year, "20271231-0000000000", actor_id=staff.id)
            db.session.commit()
            cycle = program.get_cycle(year)
            record = json.dumps(program.draw_record(cycle), ensure_ascii=False)
            figures["draw_and_record_ms"] = round((time.perf_counter() - start) * 1000, 1)
            figures["draw_json_bytes"] = len(record.encode())

            members = [
                create_user(f"bench-m{i:02d}", "bench-password-123", Role.member, display_name=f"委员{i}")
                for i in range(MEMBERS)
            ]
            now = utcnow()
            session = voting.create_session(
                year,
                voting.SessionInput(
                    title="bench",
                    opens_at=now - timedelta(minutes=5),
                    closes_at=now + timedelta(hours=1),
                    member_ids=[m.id for m in members],
                    cycle_unit_ids=[cu.id for cu in cycle.units],
                ),
                staff.id,
            )
            private = voting.open_session(session, staff.id)
            db.session.commit()
            session_id, member_ids, staff_id = session.id, [m.id for m in members], staff.id
            marks = [Grade.satisfied if i % 3 else Grade.basic for i in range(len(cycle.units))]
            db.session.execute(text("CREATE TABLE bench_floor (id serial PRIMARY KEY, v text)"))
            db.session.commit()

        def floor(i: int) -> None:
            db.session.execute(text("INSERT INTO bench_floor (v) VALUES (:v)"), {"v": f"row {i}"})
            db.session.commit()

        def cast(i: int) -> None:
            voting.cast_vote(db.session.get(AppraisalSession, session_id), member_ids[i], marks)
            db.session.commit()

        baseline = burst(app, floor, MEMBERS)
        casts = burst(app, cast, MEMBERS)
        figures["floor_insert_p95_ms"] = round(percentile(baseline, 0.95), 1)
        figures["cast_p50_ms"] = round(percentile(casts, 0.5), 1)
        figures["cast_p95_ms"] = round(percentile(casts, 0.95), 1)
        figures["cast_p95_over_floor"] = round(figures["cast_p95_ms"] / max(figures["floor_insert_p95_ms"], 0.1), 2)

        # Each member once more, all at once: nothing new may be stored.
        def again(i: int) -> None:
            try:
                cast(i)
            except voting.AppraisalError:
                db.session.rollback()

        burst(app, again, MEMBERS)
        with app.app_context():
            ballots = db.session.scalar(
                select(func.count()).select_from(SealedBallot).where(SealedBallot.session_id == session_id)
            )
            voted = db.session.scalar(
                select(func.count())
                .select_from(RollEntry)
                .where(RollEntry.session_id == session_id, RollEntry.has_voted)
            )
            figures["ballots"], figures["voted"] = ballots, voted
            session = db.session.get(AppraisalSession, session_id)
            session.closes_at = utcnow() - timedelta(seconds=1)
            voting.close_session(session, staff_id)
            start = time.perf_counter()
            voting.count_ballots(session, ballot.key_code(private), staff_id)
            db.session.commit()
            figures["count_ms"] = round((time.perf_counter() - start) * 1000, 1)

            start = time.perf_counter()
            county = notices.county_notice_pdf(program.get_cycle(year))
            unit_pdfs = [notices.unit_notice_pdf(cu) for cu in program.get_cycle(year).units]
            figures["notification_pdf_s"] = round(time.perf_counter() - start, 2)
            figures["notification_units"] = len(unit_pdfs)
            figures["notification_bytes"] = len(county) + sum(len(p) for p in unit_pdfs)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        servers.drop_database(admin_url, name)
    figures["targets_met"] = {
        "cast_p95_le_50ms": figures["cast_p95_ms"] <= 50,
        "one_ballot_per_member": figures["ballots"] == figures["voted"] == MEMBERS,
        "notification_le_60s": figures["notification_pdf_s"] <= 60,
        "draw_le_100ms": figures["draw_and_record_ms"] <= 100,
    }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    rounds = []
    for n in range(args.rounds):
        log(f"round {n + 1} of {args.rounds}")
        figures = one_round(args.admin_url, f"intake_bench_moments_{n}")
        print(json.dumps(figures, ensure_ascii=False), flush=True)
        rounds.append(figures)
    keys = [k for k, v in rounds[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    summary = {k: statistics.median(r[k] for r in rounds) for k in keys}
    print(json.dumps({"summary_median": summary}, ensure_ascii=False))


if __name__ == "__main__":
    main()
