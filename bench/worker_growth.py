"""What grows with the database in the worker's jobs (issue 19, item 7, the CPU per message):
the worker's jobs in this process (the same AppWorker in burst mode after each chunk of 1,000
stored messages, as bench/worker_memory_trace.py runs them), the CPU time of each chunk's jobs
(`time.process_time`: the machine is shared, wall time would measure the others), and cProfile's
top functions for the chunk after `--profile-at` messages.

    .venv/bin/python bench/worker_growth.py --messages 31000 --profile-at 1000,30000
    .venv/bin/python bench/worker_growth.py --messages 31000 --save-db /tmp/items31k.sqlite3
    .venv/bin/python bench/worker_growth.py --from-db /tmp/items31k.sqlite3 --messages 3000 --sql

Ratios are against the run's first chunk; compare sizes with runs of their own (bench/README.md,
"Worker memory").
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import logging
import pstats
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail_limit import Rig, make_mixed  # noqa: E402
from bench.worker_memory import FIRST, Feeder  # noqa: E402


def count_items(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM inbound_messages").fetchone()[0]


def watch_sql(app) -> dict[str, list[float]]:
    """CPU time and count of each statement (by its text), reset after each print."""
    from sqlalchemy import event

    from intake.extensions import db

    statements: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0])
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["cpu"] = time.process_time()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        entry = statements[" ".join(statement.split())[:160]]
        entry[0] += time.process_time() - conn.info.pop("cpu")
        entry[1] += 1

    return statements


def print_sql(statements: dict[str, list[float]], top: int = 8) -> None:
    total = sum(cpu for cpu, _ in statements.values())
    print(f"    SQL: {total * 1000 / FIRST:.2f} ms CPU / msg in all; the most expensive statements:")
    for text, (cpu, count) in sorted(statements.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"    {cpu * 1000 / FIRST:6.3f} ms/msg {count:5}x  {text}")
    statements.clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=31000, help="messages to feed in this run")
    parser.add_argument("--profile-at", default="", help="comma-separated counts: profile the chunk after them")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--from-db", help="start from this saved database (a run's --save-db)")
    parser.add_argument("--save-db", help="copy the database here at the end")
    parser.add_argument("--sql", action="store_true", help="CPU time of each SQL statement, summed per chunk")
    parser.add_argument("--keep-temp", action="store_true")
    args = parser.parse_args()
    logging.getLogger("rq").setLevel(logging.WARNING)
    profile_at = {int(n) for n in args.profile_at.split(",") if n}
    rig = Rig(args)
    try:
        rig.prepare([])
        if args.from_db:
            for suffix in ("-wal", "-shm"):
                Path(f"{rig.db_path}{suffix}").unlink(missing_ok=True)
            shutil.copy(args.from_db, rig.db_path)
        start = count_items(rig.db_path)
        feeder = Feeder(rig)
        from workers.worker import build_worker

        worker = build_worker(feeder.app)
        statements = watch_sql(feeder.app) if args.sql else None
        fed = start
        rnd = random.Random(fed + 7)
        rows = []
        while fed < start + args.messages:
            # Numbered after what is there: subjects and Message-IDs stay unique.
            feeder.store(fed + 1, [make_mixed(n, rnd) for n in range(fed, fed + FIRST)])
            if statements is not None:
                statements.clear()  # the store's own statements are not the worker's
            profiler = cProfile.Profile() if fed in profile_at else None
            cpu = time.process_time()
            if profiler:
                profiler.enable()
            worker.work(burst=True)
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu
            rows.append((fed, cpu))
            print(
                f"{fed:>7} items present: {cpu / FIRST * 1000:5.2f} ms CPU / msg, {cpu / rows[0][1]:.2f}x this run's first"
                + (" (profiled)" if profiler else ""),
                flush=True,
            )
            if statements is not None:
                print_sql(statements)
            if profiler:
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
                stats.print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
                print(out.getvalue(), flush=True)
            fed += FIRST
        if args.save_db:
            with sqlite3.connect(rig.db_path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copy(rig.db_path, args.save_db)
    finally:
        rig.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
