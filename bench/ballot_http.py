"""The secret ballot over HTTP (issue 19, item 6): 50 signed-in members POST their ballots at the
same moment to gunicorn with the production config, on PostgreSQL; baseline in the same run, the
same 50 clients POSTing at once to a bare Flask endpoint served by the same gunicorn settings.

    .venv/bin/python bench/ballot_http.py                   # 3 rounds, each its own session
    .venv/bin/python bench/ballot_http.py --rounds 5 --keep-temp

bench/program_moments.py measures the same burst in one Python process with 50 threads; this is
the deployed shape: gunicorn (deploy/gunicorn.conf.py: 2 workers x 4 threads), one keep-alive
connection per member. Set-up, outside the timing: a scratch database migrated and seeded by the
flask CLI, 28 units drawn for next year's cycle, 50 members and a staff account, one opened
session per round with the 50 members on its roll; each member signs in over HTTP (GET and POST
/auth/login) and, per round, opens the ballot page (its CSRF token, one radio group per unit).
Then per round: the bare burst (50 POST /), the cast burst (50 POST /member/appraisal/<id>/vote)
and the same 50 casts again, which must all be refused; in each burst the members press the
button at independent uniform moments within one second (the issue's "within the same second";
`--within 0` releases all 50 at the same instant, the harsher shape earlier runs measured). Each request is timed from its write to its last byte.
The server's own time per cast comes from the app's request log (one line per request).

Targets: cast p95 ≤ 50 ms; exactly one sealed ballot, one receipt and one roll flag per member.
Exit code 0 when the run was clean, 1 on a failed request or counts that do not add up, 2 when
the servers could not be set up."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadkit  # noqa: E402 - bench/loadkit.py, beside this script
from loadkit import Browser, hidden_fields, log, percentile  # noqa: E402

MEMBERS = 50
UNITS = 28
TARGET_P95_MS = 50.0
DB_NAME = "intake_bench_ballot"
PASSWORD = "bench-password-123"
RADIO_RE = re.compile(r'name="(unit-\d+)"')
CAST_LOG_RE = re.compile(r"POST /member/appraisal/<int:session_id>/vote (\d+) ([\d.]+)ms")


def prepare(stack: loadkit.Stack, rounds: int) -> dict:
    """Next year's cycle with 28 drawn units, 50 members, and one open session per round."""
    from intake import create_app
    from intake.appraisal.services import voting
    from intake.auth.models import Role
    from intake.auth.services import create_user
    from intake.extensions import db
    from intake.program import services as program
    from intake.timeutil import utcnow

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=stack.database_url,
        REDIS_URL=stack.redis_url,
        UPLOAD_DIR=str(stack.tmp / "uploads"),
    )
    with app.app_context():
        staff = create_user("bench-staff", PASSWORD, Role.staff, display_name="Bench")
        year = loadkit.cycle_ready_to_draw(UNITS, staff.id)
        program.run_draw(year, "20271231-0000000000", actor_id=staff.id)
        db.session.commit()
        cycle = program.get_cycle(year)
        members = [
            create_user(f"bench-m{i:02d}", PASSWORD, Role.member, display_name=f"委员{i}") for i in range(MEMBERS)
        ]
        now = utcnow()
        sessions = []
        for r in range(rounds):
            session = voting.create_session(
                year,
                voting.SessionInput(
                    title=f"bench round {r + 1}",
                    opens_at=now - timedelta(minutes=5),
                    closes_at=now + timedelta(hours=2),
                    member_ids=[m.id for m in members],
                    cycle_unit_ids=[cu.id for cu in cycle.units],
                ),
                staff.id,
            )
            voting.open_session(session, staff.id)
            sessions.append(session.id)
        db.session.commit()
        result = {"sessions": sessions, "usernames": [m.username for m in members], "units": len(cycle.units)}
        db.session.remove()
        db.engine.dispose()
    return result


def counts(stack: loadkit.Stack, session_id: int) -> dict[str, int]:
    import sqlalchemy

    queries = {
        "ballots": "SELECT count(*) FROM appraisal_ballots WHERE session_id = :s",
        "receipts": "SELECT count(*) FROM appraisal_receipts WHERE session_id = :s",
        "voted": "SELECT count(*) FROM appraisal_roll WHERE session_id = :s AND has_voted",
    }
    engine = sqlalchemy.create_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            return {k: conn.execute(sqlalchemy.text(q), {"s": session_id}).scalar_one() for k, q in queries.items()}
    finally:
        engine.dispose()


async def sign_in(browser: Browser, username: str) -> None:
    page = await browser.get("/auth/login")
    fields = hidden_fields(page.text.split('<form method="post" class="stack"', 1)[-1])
    response = await browser.post_form("/auth/login", {**fields, "username": username, "password": PASSWORD})
    if response.status not in (302, 303) or "session" not in browser.cookies:
        raise loadkit.SetupError(f"sign-in of {username} answered {response.status}")


def arrivals(count: int, within: float, seed: int) -> list[float]:
    """When each member presses the button, in seconds after the burst starts: independently and
    uniformly within `within` seconds (0: all at the same instant)."""
    rng = random.Random(seed)
    return [rng.uniform(0, within) for _ in range(count)]


async def burst(
    browsers: list[Browser], send, expect: int, check=None, offsets: list[float] | None = None
) -> tuple[list[float], list[str]]:
    """Each browser's request, released by one event (then each after its offset, if given);
    milliseconds from write to answer."""
    go = asyncio.Event()
    times: list[float] = [0.0] * len(browsers)
    errors: list[str] = []

    async def one(i: int, browser: Browser) -> None:
        await go.wait()
        if offsets:
            await asyncio.sleep(offsets[i])
        start = time.perf_counter()
        try:
            response = await asyncio.wait_for(send(i, browser), 60)
        except (TimeoutError, OSError, loadkit.HttpError, asyncio.IncompleteReadError) as exc:
            errors.append(f"client {i}: {type(exc).__name__}: {exc}")
            return
        times[i] = (time.perf_counter() - start) * 1000
        if response.status != expect or (check is not None and not check(response)):
            errors.append(f"client {i}: {response.status} {response.body[:160]!r}")

    tasks = [asyncio.create_task(one(i, b)) for i, b in enumerate(browsers)]
    await asyncio.sleep(0.05)  # every task is waiting on the event
    go.set()
    await asyncio.gather(*tasks)
    return times, errors


async def run_rounds(stack: loadkit.Stack, ports: dict[str, int], setup: dict, args) -> list[dict]:
    members = [Browser(ports["intake"]) for _ in range(MEMBERS)]
    bare = [Browser(ports["bare"]) for _ in range(MEMBERS)]
    gate = asyncio.Semaphore(8)

    async def signed_in(browser: Browser, username: str) -> None:
        async with gate:
            await sign_in(browser, username)

    started = time.perf_counter()
    await asyncio.gather(*(signed_in(b, u) for b, u in zip(members, setup["usernames"], strict=True)))
    log(f"{MEMBERS} members signed in over HTTP in {time.perf_counter() - started:.1f} s (outside the timing)")
    rounds = []
    for r, session_id in enumerate(setup["sessions"]):
        vote_path = f"/member/appraisal/{session_id}/vote"
        # Open connections and warm both servers' paths, as phones that opened the page would.
        await asyncio.gather(*(b.get("/") for b in bare))
        offsets = arrivals(MEMBERS, args.within, seed=r + 1)
        bare_ms, bare_errors = await burst(bare, lambda i, b: b.request("POST", "/", b""), 200, offsets=offsets)
        pages = await asyncio.gather(*(b.get(vote_path) for b in members))
        forms = []
        for page in pages:
            radios = sorted(set(RADIO_RE.findall(page.text)), key=lambda name: int(name.split("-")[1]))
            if page.status != 200 or len(radios) != setup["units"]:
                raise loadkit.SetupError(f"ballot page answered {page.status} with {len(radios)} unit(s)")
            fields = hidden_fields(page.text.split('id="ballot"', 1)[-1].split("</form>", 1)[0])
            marks = ["satisfied" if n % 3 else "basic" for n in range(len(radios))]
            forms.append({**fields, **dict(zip(radios, marks, strict=True))})
        await asyncio.sleep(0.5)  # members read their ballot; the servers settle

        def cast(i: int, b: Browser, path=vote_path, forms=forms):
            return b.post_form(path, forms[i])

        cast_ms, cast_errors = await burst(
            members, cast, 200, lambda resp: 'id="receipt"' in resp.text, offsets=offsets
        )
        again_ms, again_errors = await burst(members, cast, 400, offsets=offsets)
        figures = counts(stack, session_id)
        rounds.append(
            {
                "round": r + 1,
                "load": os.getloadavg()[0],
                "bare_p50_ms": percentile(bare_ms, 0.5),
                "bare_p95_ms": percentile(bare_ms, 0.95),
                "cast_p50_ms": percentile(cast_ms, 0.5),
                "cast_p95_ms": percentile(cast_ms, 0.95),
                "cast_max_ms": max(cast_ms),
                "again_p95_ms": percentile(again_ms, 0.95),
                "errors": bare_errors + cast_errors + again_errors,
                **figures,
            }
        )
        log(
            f"round {r + 1}: bare p95 {rounds[-1]['bare_p95_ms']:.1f} ms, cast p50 {rounds[-1]['cast_p50_ms']:.1f} / "
            f"p95 {rounds[-1]['cast_p95_ms']:.1f} ms, {len(rounds[-1]['errors'])} error(s), "
            f"ballots {figures['ballots']}, load {rounds[-1]['load']:.2f}"
        )
        await asyncio.sleep(1.0)
    for browser in members + bare:
        browser.close()
    return rounds


def profile_casts(stack: loadkit.Stack, setup: dict, session_id: int) -> dict:
    """The same casts one after the other in this process (Flask's test client, the production
    config, the same database): a cast's own time without the burst's queue, the database
    statements and connection checkouts each makes, and where its time goes (cProfile)."""
    import cProfile
    import io
    import pstats

    from sqlalchemy import event

    from intake import create_app
    from intake.extensions import db

    e = stack.env
    app = create_app(
        "production",
        **{k: e[k] for k in ("SECRET_KEY", "PUBLIC_BASE_URL", "SMTP_HOST", "MAIL_FROM", "UPLOAD_DIR")},
        SQLALCHEMY_DATABASE_URI=stack.database_url,
        REDIS_URL=stack.redis_url,
        LOG_LEVEL="WARNING",
    )
    vote_path = f"/member/appraisal/{session_id}/vote"
    ready = []
    for username in setup["usernames"]:
        client = app.test_client()
        page = client.get("/auth/login").get_data(as_text=True)
        fields = hidden_fields(page.split('<form method="post" class="stack"', 1)[-1])
        client.post("/auth/login", data={**fields, "username": username, "password": PASSWORD})
        page = client.get(vote_path).get_data(as_text=True)
        radios = set(RADIO_RE.findall(page))
        fields = hidden_fields(page.split('id="ballot"', 1)[-1].split("</form>", 1)[0])
        ready.append((client, {**fields, **dict.fromkeys(radios, "satisfied")}))
    with app.app_context():
        engine = db.engine
    seen = {"statements": 0, "checkouts": 0, "commits": 0}

    def count(name):
        def listener(*_args):
            seen[name] += 1

        return listener

    listeners = [count("statements"), count("commits"), count("checkouts")]
    event.listen(engine, "before_cursor_execute", listeners[0])
    event.listen(engine, "commit", listeners[1])
    event.listen(engine.pool, "checkout", listeners[2])
    half = len(ready) // 2
    times = []
    for client, form in ready[:half]:
        start = time.perf_counter()
        response = client.post(vote_path, data=form)
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise loadkit.SetupError(f"profiled cast answered {response.status_code}")
    event.remove(engine, "before_cursor_execute", listeners[0])
    event.remove(engine, "commit", listeners[1])
    event.remove(engine.pool, "checkout", listeners[2])
    profiler = cProfile.Profile()
    for client, form in ready[half:]:
        profiler.runcall(client.post, vote_path, data=form)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "tottime")).print_stats(
        int(os.environ.get("BENCH_PROFILE_LINES", "12"))
    )
    return {
        "cast_p50_ms": percentile(times, 0.5),
        "cast_p95_ms": percentile(times, 0.95),
        **{f"{k}_per_cast": v / half for k, v in seen.items()},
        "profile": out.getvalue(),
    }


def server_cast_times(stack: loadkit.Stack) -> list[float]:
    """The app's own duration of each accepted cast, from its request log."""
    text = (stack.tmp / "gunicorn-intake.log").read_text(errors="replace")
    return [float(ms) for status, ms in CAST_LOG_RE.findall(text) if status == "200"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL", loadkit.DEFAULT_PG_ADMIN_URL))
    parser.add_argument("--rounds", type=int, default=3, help="bursts, each in its own session (default 3)")
    parser.add_argument(
        "--profile", action="store_true", help="also cast 50 ballots one by one in this process, counted and profiled"
    )
    parser.add_argument(
        "--within",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="the 50 members press the button at independent uniform moments within this many seconds "
        "(issue 19: 'within the same second'; default 1); 0 releases all 50 at the same instant",
    )
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (gunicorn logs)")
    parser.add_argument("--json", metavar="FILE", help="also write the rounds as JSON")
    args = parser.parse_args(argv)
    log(
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} CPU(s) {loadkit.cpu_model()}, "
        f"Python {platform.python_version()}; load average {loadkit.load_average()}"
    )
    stack = loadkit.Stack(args.admin_url, DB_NAME)
    try:
        try:
            stack.start()
            setup = prepare(stack, args.rounds + (1 if args.profile else 0))
            profile_session = setup["sessions"].pop() if args.profile else None
            ports = {
                "intake": stack.gunicorn("wsgi:app", "intake", "/auth/login"),
                "bare": stack.gunicorn(loadkit.BARE_APP, "bare", "/"),
            }
            rounds = asyncio.run(run_rounds(stack, ports, setup, args))
            profiled = profile_casts(stack, setup, profile_session) if args.profile else None
        except loadkit.SetupError as exc:
            print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
            return 2
        server_ms = server_cast_times(stack)
    finally:
        stack.stop(keep_temp=args.keep_temp)
    errors = [e for r in rounds for e in r["errors"]]
    print()
    print(
        f"{'round':>5} {'bare p50':>9} {'bare p95':>9} {'cast p50':>9} {'cast p95':>9} {'cast max':>9} "
        f"{'ballots':>8} {'receipts':>9} {'voted':>6} {'load':>5}"
    )
    for r in rounds:
        print(
            f"{r['round']:>5} {r['bare_p50_ms']:>9.1f} {r['bare_p95_ms']:>9.1f} {r['cast_p50_ms']:>9.1f} "
            f"{r['cast_p95_ms']:>9.1f} {r['cast_max_ms']:>9.1f} {r['ballots']:>8} {r['receipts']:>9} "
            f"{r['voted']:>6} {r['load']:>5.2f}"
        )
    cast_p95 = statistics.median(r["cast_p95_ms"] for r in rounds)
    bare_p95 = statistics.median(r["bare_p95_ms"] for r in rounds)
    one_each = all(r["ballots"] == r["receipts"] == r["voted"] == MEMBERS for r in rounds)
    print()
    print(
        f"server time per accepted cast (app log): p50 {percentile(server_ms, 0.5):.1f} ms, "
        f"p95 {percentile(server_ms, 0.95):.1f} ms, n={len(server_ms)}"
    )
    shape = f"independently within {args.within:g} s" if args.within else "all at the same instant"
    print(f"arrivals: the 50 members press the button {shape}")
    print(f"bare endpoint, same 50 clients and arrivals: p95 {bare_p95:.1f} ms (median of rounds)")
    print(
        f"cast p95 {cast_p95:.1f} ms (median of rounds) = {cast_p95 / max(bare_p95, 0.1):.1f}x the bare p95; "
        f"target ≤ {TARGET_P95_MS:g} ms: {'met' if cast_p95 <= TARGET_P95_MS else 'NOT met'}"
    )
    print(f"exactly one ballot, receipt and roll flag per member, second casts refused: {'yes' if one_each else 'NO'}")
    print(f"errors: {len(errors)}; load average at the end {loadkit.load_average()}")
    for sample in errors[:10]:
        print(f"  error: {sample}", file=sys.stderr)
    if profiled:
        print()
        print(
            f"one cast at a time, in process (--profile; {MEMBERS // 2} casts): p50 {profiled['cast_p50_ms']:.1f} ms, "
            f"p95 {profiled['cast_p95_ms']:.1f} ms; per cast {profiled['statements_per_cast']:.1f} SQL statements, "
            f"{profiled['commits_per_cast']:.1f} commit(s), {profiled['checkouts_per_cast']:.1f} connection checkout(s)"
        )
        print(profiled["profile"])
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"rounds": rounds, "server_cast_ms": server_ms}, indent=2) + "\n")
    return 0 if one_each and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
