"""Issue 19, item 7: the worker's memory over 100,000 messages, against its own RSS after the
first 1,000 measured in the same run.

One `flask --app wsgi intake worker` process, as the Procfile runs it (rq's SimpleWorker: jobs
run in the worker process itself, no work horse forked per job; its one child is rq's
scheduler, forked once at start), parses the messages of bench/mail_limit.py's generated
Chinese mailbox (UTF-8, GBK, GB18030, gb2312, Big5; 8bit, base64, quoted-printable; webmail
multipart/alternative, HTML-only, 20% with a photo) and runs their follow-up jobs
(suggestions). The messages reach it in chunks of --chunk, one of two ways:

  store    (default) this process does what the watcher does with a fetched batch
           (`MailboxSession._store_batch`): `receiving.store_fetched` of IMAP_BATCH_MESSAGES
           raw messages with the checkpoint, commit, `dispatch_inbound` (one parse job per
           batch). No IMAP, so the two cores go to the worker.
  maildir  one `intake watch` running too; the chunk written as files into its Dovecot
           Maildir (as a delivery agent does); the watcher fetches, stores and queues.

At each checkpoint (1,000 first, then 2,000, 5,000 and every --every) feeding stops until the
worker is idle (every message parsed, both queues empty, no job started), then VmRSS of the
worker process is read from /proc/PID/status (and of its children, for information). Between
checkpoints at most two chunks wait for the worker. At the end: items == messages fed.

    .venv/bin/python bench/worker_memory.py --messages 100000
    .venv/bin/python bench/worker_memory.py --messages 20000 --feed maildir
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail_ingest import PASSWORD, write_maildir  # noqa: E402
from bench.mail_limit import Rig, make_mixed  # noqa: E402

TARGET = 1.10  # RSS at the end over RSS after the first 1,000 messages
FIRST = 1000
UIDVALIDITY = 1
QUEUES = ("intake-test", "intake-test-triage")  # the test config's RQ_QUEUE, main and triage
BATCH = 100  # IMAP_BATCH_MESSAGES, the messages of one parse job


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and RssAnon of a process, in kB (empty when it is gone)."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM", "RssAnon"):
                    fields[name] = int(value.split()[0])
    except FileNotFoundError:
        return {}
    return fields


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The descendants of a process (all its threads' children, recursively)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found + [grandchild for child in found for grandchild in children(child)]


class Feeder:
    """Stores raw messages as the watcher does, in this process (the `store` feed)."""

    def __init__(self, rig: Rig):
        from intake import create_app
        from intake.extensions import db
        from intake.mailbox import receiving, services

        self.app = create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{rig.db_path}",
            REDIS_URL=f"redis://127.0.0.1:{rig.redis.port}/0",
            UPLOAD_DIR=str(rig.workdir / "uploads"),
            IMAP_HOST="127.0.0.1",
            IMAP_PORT=rig.dovecot.port,
            IMAP_SSL=False,
            IMAP_USER="bench",
            IMAP_PASSWORD=PASSWORD,
            SMTP_HOST="",
        )
        self.batch = BATCH
        with self.app.app_context():
            self.mailbox_id = services.ensure_default_mailbox(self.app.config).id
            receiving.open_checkpoint(self.mailbox_id, UIDVALIDITY)
            db.session.commit()
            db.session.remove()

    def store(self, first_uid: int, raws: list[bytes]) -> None:
        from intake.extensions import db
        from intake.mailbox import receiving
        from intake.mailbox.jobs import dispatch_inbound

        now = datetime.now(UTC).replace(tzinfo=None)
        with self.app.app_context():
            for start in range(0, len(raws), self.batch):
                fetched = [
                    receiving.FetchedMessage(uid=first_uid + start + i, raw=raw, size=len(raw), internaldate=now)
                    for i, raw in enumerate(raws[start : start + self.batch])
                ]
                ids = receiving.store_fetched(self.mailbox_id, UIDVALIDITY, fetched, last_uid=fetched[-1].uid)
                db.session.commit()
                dispatch_inbound(ids)  # a pass of more than one batch: not `live`
            db.session.remove()


class Bench:
    def __init__(self, args):
        self.args = args
        self.rig = Rig(args)
        self.rnd = random.Random(7)
        self.fed = 0
        self.feeder: Feeder | None = None
        self.maildir = self.rig.workdir / "dovecot" / "mail" / "bench"
        self.child_pids: set[int] = set()

    def start(self) -> None:
        self.rig.prepare([])
        if self.args.feed == "store":
            self.feeder = Feeder(self.rig)
        else:
            self.rig.start("bench", "watch")
        self.worker = self.rig.idle_worker()
        self.redis = self.rig.redis_client()

    def feed(self, count: int) -> None:
        raws = [make_mixed(n, self.rnd) for n in range(self.fed, self.fed + count)]
        if self.feeder is not None:
            self.feeder.store(self.fed + 1, raws)
        else:
            write_maildir(self.maildir, raws, start=self.fed)
        self.fed += count
        if self.feeder is None:
            # The watcher's parse jobs are the backlog we pace on: wait until it has stored them.
            while self.stored() < self.fed:
                self.check_alive()
                time.sleep(0.2)

    def stored(self) -> int:
        with sqlite3.connect(self.rig.db_path, timeout=30) as conn:
            return conn.execute("SELECT coalesce(max(id), 0) FROM inbound_messages").fetchone()[0]

    def main_queue(self) -> int:
        """Parse jobs waiting (of IMAP_BATCH_MESSAGES messages each)."""
        from rq import Queue

        return Queue(QUEUES[0], connection=self.redis).count

    def parsed(self) -> int:
        return self.rig.parsed()[0]

    def waiting_jobs(self) -> int:
        """Jobs queued or running, both queues (asked of Redis: counting rows in SQLite while
        the worker writes would slow it down)."""
        from rq import Queue
        from rq.registry import StartedJobRegistry

        conn = self.redis
        return sum(
            Queue(name, connection=conn).count + StartedJobRegistry(name, connection=conn).count for name in QUEUES
        )

    def check_alive(self) -> None:
        for proc in self.rig.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited; see {self.rig.workdir / 'procs.log'}")
        self.child_pids.update(children(self.worker.pid))

    def drain(self, timeout: float = 900) -> None:
        """Wait until every message fed is parsed and the worker has nothing left to do."""
        deadline = time.time() + timeout
        while self.waiting_jobs() or self.parsed() < self.fed:
            self.check_alive()
            if time.time() > deadline:
                raise RuntimeError(f"{self.parsed()} of {self.fed} parsed after {timeout} s")
            time.sleep(0.2)

    def sample(self, started: float) -> dict:
        kids = children(self.worker.pid)
        status = proc_status(self.worker.pid)
        kid_rss = sum(proc_status(k).get("VmRSS", 0) for k in kids)
        return {
            "messages": self.fed,
            "s": round(time.time() - started, 1),
            "rss_kb": status["VmRSS"],
            "anon_kb": status["RssAnon"],
            "hwm_kb": status["VmHWM"],
            "cpu_s": round(cpu_seconds(self.worker.pid), 1),
            "children": len(kids),
            "children_rss_kb": kid_rss,
        }

    def run(self) -> dict:
        total, chunk = self.args.messages, self.args.chunk
        checkpoints = sorted(
            {n for n in (FIRST, 2000, 5000, *range(self.args.every, total, self.args.every)) if n < total} | {total}
        )
        self.start()
        started = time.time()
        samples = []
        for checkpoint in checkpoints:
            while self.fed < checkpoint:
                # About one chunk waiting: the worker is never idle, the backlog bounded.
                while self.main_queue() >= chunk // BATCH:
                    self.check_alive()
                    time.sleep(0.2)
                self.feed(min(chunk, checkpoint - self.fed))
            self.drain()
            samples.append(self.sample(started))
            if checkpoint == checkpoints[0]:
                first_at = time.time()
            print(json.dumps(samples[-1]), flush=True)
        seconds = time.time() - first_at
        return {
            "messages": self.fed,
            "feed": self.args.feed,
            "chunk": chunk,
            "samples": samples,
            "rss_first_kb": samples[0]["rss_kb"],
            "rss_last_kb": samples[-1]["rss_kb"],
            "ratio": round(samples[-1]["rss_kb"] / samples[0]["rss_kb"], 3),
            "ratio_max": round(max(s["rss_kb"] for s in samples) / samples[0]["rss_kb"], 3),
            "msgs_per_s": round((self.fed - samples[0]["messages"]) / seconds, 1) if seconds else None,
            "msgs_per_s_all": round(self.fed / samples[-1]["s"], 1),
            "worker_child_pids_seen": sorted(self.child_pids),
            **self.counts(),
        }

    def counts(self) -> dict:
        """Nothing lost or doubled: one parsed row and one item per message fed."""
        with sqlite3.connect(self.rig.db_path, timeout=30) as conn:
            states = dict(conn.execute("SELECT state, count(*) FROM inbound_messages GROUP BY state").fetchall())
            items = conn.execute("SELECT count(*) FROM feedback_items").fetchone()[0]
            linked = conn.execute("SELECT count(DISTINCT item_id) FROM inbound_messages").fetchone()[0]
        from rq.registry import FailedJobRegistry

        conn = self.redis
        failed = sum(FailedJobRegistry(n, connection=conn).count for n in QUEUES)
        return {"inbound_states": states, "items": items, "items_linked": linked, "failed_jobs": failed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000, help="messages fed at a time")
    parser.add_argument("--every", type=int, default=10_000, help="a checkpoint every N messages (after 1k, 2k, 5k)")
    parser.add_argument("--feed", choices=["store", "maildir"], default="store")
    parser.add_argument("--keep-temp", action="store_true")
    args = parser.parse_args()
    if args.messages < FIRST:
        parser.error(f"--messages must be at least {FIRST}")
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    bench = Bench(args)
    try:
        results = bench.run()
    finally:
        bench.rig.close()
    results["load_before"] = load_before
    results["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps({k: v for k, v in results.items() if k != "samples"}, indent=2, ensure_ascii=False))
    ok = results["items"] == results["items_linked"] == results["messages"] == results["inbound_states"].get("parsed")
    print(
        f"worker RSS after {FIRST:,}: {results['rss_first_kb'] / 1024:.1f} MB; after {results['messages']:,}: "
        f"{results['rss_last_kb'] / 1024:.1f} MB; ratio {results['ratio']:.3f} (target ≤ {TARGET}: "
        f"{'met' if results['ratio'] <= TARGET else 'NOT met'}); {results['msgs_per_s']} msgs/s; "
        f"items {results['items']} of {results['messages']} fed ({'none lost or doubled' if ok else 'MISMATCH'})"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"worker_memory-{args.messages}-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return 0 if ok and results["ratio"] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
