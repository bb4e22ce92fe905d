"""Issue 19, item 4: suggestions for a batch of new mail against the parsing of the same mail.

In one process on a fresh SQLite file (migrated, with the reference data): the generated mixed
mailbox of `bench/mail_limit.py` parsed with `parse_message` (timed), written as items with
`submit_many`, then their suggestions made as the follow-up jobs make them
(`apply_suggestions_many`, 100 items per call and one commit each; timed). --profile prints
where the suggestion time goes (cProfile, by cumulative time).

    .venv/bin/python bench/suggest_vs_parse.py --messages 2000 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail_limit import make_mixed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="intake-bench-suggest-"))
    os.environ.setdefault("INTAKE_CONFIG", "test")
    from intake import create_app

    app = create_app(
        "test", SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / 'bench.sqlite3'}", UPLOAD_DIR=str(workdir / "up")
    )
    try:
        return _run(app, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(app, args) -> int:
    from flask_migrate import upgrade

    from intake.extensions import db
    from intake.feedback.services import submit_many
    from intake.mailbox.decoding.parsing import parse_message
    from intake.mailbox.items import submission_from
    from intake.triage.suggestions import apply_suggestions_many

    rnd = random.Random(19)
    raws = [make_mixed(n, rnd) for n in range(args.messages)]
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        started = time.perf_counter()
        parsed = [parse_message(raw) for raw in raws]
        parse_s = time.perf_counter() - started
        ids = []
        for start in range(0, len(parsed), 100):
            ids += submit_many([submission_from(p) for p in parsed[start : start + 100]], tracking_prefix="S")
            db.session.commit()
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        for start in range(0, len(ids), 100):
            apply_suggestions_many(ids[start : start + 100])
            db.session.commit()
        if profiler:
            profiler.disable()
        suggest_s = time.perf_counter() - started
    print(
        f"{args.messages} messages: parse {parse_s:.2f} s ({parse_s * 1000 / len(raws):.2f} ms each), "
        f"suggestions {suggest_s:.2f} s ({suggest_s * 1000 / len(raws):.2f} ms each): "
        f"suggestions / parse = {suggest_s / parse_s:.2f} (target < 1)"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
