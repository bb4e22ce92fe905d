"""One benchmark of two commits, interleaved in one run: did a change make it slower?

Each commit is checked out in its own temporary git worktree and its own `bench/mail_ingest.py`
runs there (same virtualenv, same machine, same moment), alternating before/after for N rounds
(the order flipped every round), so load on the machine weighs on both alike. Prints each round's end-to-end rate, the medians
and the ratio after/before.

    .venv/bin/python bench/compare_commits.py --before ac337ee --after HEAD --rounds 3 -- --messages 2000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("e2e_per_s", "e2e_suggested_per_s", "parse_per_s", "fetch_per_s")


def last_json(text: str) -> dict:
    """The JSON object the benchmark prints last (its log lines come before it)."""
    start = text.rfind("\n{")
    return json.loads(text[start + 1 if start >= 0 else 0 :])


def run(tree: Path, bench_args: list[str]) -> dict:
    result = subprocess.run(
        [sys.executable, "bench/mail_ingest.py", *bench_args], cwd=tree, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark failed in {tree}:\n{result.stderr[-3000:]}")
    return last_json(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="commit before the change")
    parser.add_argument("--after", default="HEAD", help="commit after the change")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("bench_args", nargs="*", help="arguments for bench/mail_ingest.py (after --)")
    args = parser.parse_args()

    temp = Path(tempfile.mkdtemp(prefix="intake-compare-"))
    trees = {}
    try:
        for label, rev in (("before", args.before), ("after", args.after)):
            sha = subprocess.run(
                ["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
            trees[label] = (temp / label, sha)
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(temp / label), sha], cwd=ROOT, check=True)
        rounds: dict[str, list[dict]] = {"before": [], "after": []}
        for n in range(args.rounds):
            # Alternate which goes first (ABBA...): whatever the first run of a round leaves
            # behind (page cache, a process still exiting) weighs on both alike.
            for label in ("before", "after") if n % 2 == 0 else ("after", "before"):
                figures = run(trees[label][0], args.bench_args)
                rounds[label].append({m: figures.get(m) for m in METRICS})
                print(
                    f"round {n + 1} {label:6} {trees[label][1][:9]}: "
                    + ", ".join(f"{m}={figures.get(m)}" for m in METRICS),
                    flush=True,
                )
        summary = {
            label: {
                "commit": trees[label][1],
                "rounds": rounds[label],
                "median": {m: statistics.median(r[m] for r in rounds[label]) for m in METRICS},
            }
            for label in rounds
        }
        summary["after_over_before"] = {
            m: round(summary["after"]["median"][m] / summary["before"]["median"][m], 3) for m in METRICS
        }
        print(json.dumps(summary, indent=2))
    finally:
        for tree, _sha in trees.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        shutil.rmtree(temp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
