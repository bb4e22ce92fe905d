"""Where the worker's memory grows (issue 19, item 7): the worker's jobs in this process (the
same AppWorker, in burst mode after each chunk of 1,000 stored messages) under tracemalloc, and
the growth from the first 1,000 messages to the last, by line and by traceback.

    .venv/bin/python bench/worker_memory_trace.py --messages 6000
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail_limit import Rig, make_mixed  # noqa: E402
from bench.worker_memory import FIRST, Feeder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--keep-temp", action="store_true")
    args = parser.parse_args()
    rig = Rig(args)
    try:
        rig.prepare([])
        feeder = Feeder(rig)
        from workers.worker import build_worker

        worker = build_worker(feeder.app)
        rnd = random.Random(7)
        fed = 0

        def feed_and_work() -> None:
            nonlocal fed
            feeder.store(fed + 1, [make_mixed(n, rnd) for n in range(fed, fed + FIRST)])
            fed += FIRST
            worker.work(burst=True)
            gc.collect()

        tracemalloc.start(10)
        feed_and_work()
        first = tracemalloc.take_snapshot()
        while fed < args.messages:
            feed_and_work()
            print(f"{fed} messages: traced {tracemalloc.get_traced_memory()[0] / 2**20:.1f} MB", flush=True)
        last = tracemalloc.take_snapshot()
        for key in ("lineno", "traceback"):
            stats = last.compare_to(first, key)
            print(f"--- growth by {key}: {sum(s.size_diff for s in stats) / 1024:.0f} KiB in all")
            for stat in stats[: args.top if key == "lineno" else 3]:
                print(stat)
                if key == "traceback":
                    print("\n".join(stat.traceback.format()[-8:]))
    finally:
        rig.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
