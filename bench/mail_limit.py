"""Issue 19: intake's mail path against the limit, a plain stdlib loop measured in the same run.

Over one generated Chinese mailbox (UTF-8, GBK, GB18030, gb2312, Big5; 8bit, base64 and
quoted-printable; multipart/alternative, HTML-only, photos with Chinese names), each
measurement in a fresh process, the kinds interleaved over --rounds rounds (their order turned
each round):

  baseline  `python -c LOOP`: imapclient, UID FETCH BODY.PEEK[] in batches of 100, each message
            through email.message_from_bytes(policy=default), its headers and
            get_body().get_content(); from process start to exit
  cold      `flask --app wsgi intake poll --once`, then `flask --app wsgi intake worker --burst`,
            from the first process start to the last item committed (a fresh SQLite file and an
            empty Redis each round); target ≥ 0.6 × baseline
  live      one `intake worker` already running and idle, then `poll --once`, from its start to
            the last item committed; target ≥ 0.9 × baseline
  start     time from process start to the first IMAP command (`poll --once` and `intake watch`
            on a mailbox with nothing new, through a TCP relay that notes when the client first
            speaks); in the cold run, from `poll --once`'s start to the first parse job it runs
            itself, and of `worker --burst` from start to its first job (a follow-up: rq's
            started_at)
  procfile  (--procfile) one `intake watch` and two `intake worker`s running, the messages
            APPENDed one by one: from the last APPEND to the last item committed; ratio
            baseline / that; target ≥ 1.5
  during    with `intake watch` and two `intake worker`s running (--during-workers; the Procfile's
            shape): the 2,000 messages delivered
            at once (one MULTIAPPEND), then one message APPENDed once the watcher has started
            storing them: APPEND → its item committed, p95 over --during tries; target ≤ 1 s

Child processes run with bytecode caching on (PYTHONPYCACHEPREFIX in the temp dir, warmed
first), as a deployed app would: the shell of this project sets PYTHONDONTWRITEBYTECODE, which
would add ~0.2 s of compiling to every start.

    .venv/bin/python bench/mail_limit.py --messages 2000 --rounds 3 [--during 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.mail_ingest import PASSWORD, make_message, make_webmail_message  # noqa: E402
from tests import servers  # noqa: E402

BASELINE = """
import sys
from email import message_from_bytes, policy
from imapclient import IMAPClient
host, port, user, password = sys.argv[1:5]
client = IMAPClient(host, port=int(port), ssl=False)
client.login(user, password)
client.select_folder("INBOX", readonly=True)
uids = client.search(["ALL"])
done = 0
for start in range(0, len(uids), 100):
    for uid, data in client.fetch(uids[start:start + 100], ["BODY.PEEK[]"]).items():
        message = message_from_bytes(data[b"BODY[]"], policy=policy.default)
        headers = (message["From"], message["To"], message["Subject"], message["Date"], message["Message-ID"])
        body = message.get_body(("plain", "html"))
        text = body.get_content() if body is not None else ""
        done += 1
client.logout()
print(done)
"""


def make_html_only(n: int, rnd: random.Random) -> bytes:
    """An HTML-only message in GBK, 8bit, as some web forms and old clients send; one in five with
    a photo whose Chinese name is given in RFC 2231 form."""
    text = f"县医院挂号窗口排长队，自助机无法使用 编号 B{n:06d}"
    html = f"<html><body><p>{text}</p><p>请有关部门<b>尽快</b>处理。</p></body></html>".encode("gbk")
    head = (
        f"From: citizen{n % 500}@example.cn\r\nTo: jdyx@zxzx.gov.cn\r\nSubject: =?gbk?B?"
        + __import__("base64").b64encode(f"反映 {n}".encode("gbk")).decode()
        + f"?=\r\nDate: Tue, 03 Nov 2026 10:20:00 +0800\r\nMessage-ID: <html-{n}@example.cn>\r\nMIME-Version: 1.0\r\n"
    ).encode()
    part = b"Content-Type: text/html; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html + b"\r\n"
    if rnd.random() >= 0.2:
        return head + part
    photo = __import__("base64").encodebytes(b"\xff\xd8\xff\xe0" + os.urandom(20_000)).replace(b"\n", b"\r\n")
    return (
        head
        + b'Content-Type: multipart/mixed; boundary="hh"\r\n\r\n--hh\r\n'
        + part
        + b"--hh\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment;\r\n"
        + b" filename*=UTF-8''%E7%8E%B0%E5%9C%BA%E7%85%A7%E7%89%87.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + photo
        + b"--hh--\r\n"
    )


def make_mixed(n: int, rnd: random.Random) -> bytes:
    """One in four short 8-bit plain (UTF-8, GBK labelled gb2312, Big5), two webmail (QQ GB18030
    base64, Outlook gb2312 quoted-printable, iPhone Big5 base64, Chinese photo names), one HTML-only
    GBK."""
    kind = n % 4
    if kind == 0:
        return make_message(n, rnd)
    if kind == 3:
        return make_html_only(n, rnd)
    return make_webmail_message(n, rnd)


class FirstWords:
    """A TCP relay to the IMAP server noting when each client first speaks (its first command:
    the server greets first, so the client's first bytes are its first command)."""

    def __init__(self, target_port: int):
        self.target = target_port
        self.first: list[float] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        noted = not from_client
        try:
            while data := src.recv(65536):
                if not noted:
                    self.first.append(time.time())
                    noted = True
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def since(self, started: float) -> float | None:
        after = [t for t in self.first if t >= started]
        return min(after) - started if after else None


class Rig:
    def __init__(self, args):
        self.args = args
        self.workdir = servers.tempdir("intake-bench-limit-")
        users = self.workdir / "dovecot" / "users"
        users.parent.mkdir(parents=True)
        users.write_text(
            "".join(
                f"{u}:{{PLAIN}}{PASSWORD}:8:8::{self.workdir / 'dovecot' / 'mail' / u}::\n"
                for u in ("bench", "empty", "during", "procfile")
            )
        )
        self.dovecot = servers.start_dovecot(self.workdir / "dovecot")
        self.redis = servers.start_redis(self.workdir)
        self.relay = FirstWords(self.dovecot.port)
        self.template = self.workdir / "template.sqlite3"
        self.db_path = self.workdir / "bench.sqlite3"
        self.flask = str(Path(sys.executable).with_name("flask"))
        self.procs: list[subprocess.Popen] = []
        self.log = open(self.workdir / "procs.log", "ab")

    # --- set-up ---------------------------------------------------------------------------------

    def env(self, user: str, *, relay: bool = False) -> dict:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            PYTHONPYCACHEPREFIX=str(self.workdir / "pycache"),
            INTAKE_CONFIG="test",
            DATABASE_URL=f"sqlite:///{self.db_path}",
            REDIS_URL=f"redis://127.0.0.1:{self.redis.port}/0",
            UPLOAD_DIR=str(self.workdir / "uploads"),
            IMAP_HOST="127.0.0.1",
            IMAP_PORT=str(self.relay.port if relay else self.dovecot.port),
            IMAP_SSL="0",
            IMAP_USER=user,
            IMAP_PASSWORD=PASSWORD,
            IMAP_POLL_SECONDS="60",
            SMTP_HOST="",
        )
        return env

    def prepare(self, raws: list[bytes]) -> None:
        from imapclient import IMAPClient

        env = self.env("bench")
        subprocess.run(
            [self.flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
        )
        # Warm the bytecode cache (as a deployed app's first start would).
        subprocess.run([self.flask, "--app", "wsgi", "intake", "--help"], cwd=ROOT, env=env, capture_output=True)
        subprocess.run(
            [sys.executable, "-c", "import wsgi, workers.worker, workers.watcher, intake.mailbox.jobs"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(self.db_path, self.template)
        client = IMAPClient("127.0.0.1", port=self.dovecot.port, ssl=False)
        client.login("bench", PASSWORD)
        for raw in raws:
            client.append("INBOX", raw)
        client.logout()

    def fresh(self) -> None:
        """A fresh database (the migrated template) and an empty Redis."""
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template, self.db_path)
        shutil.rmtree(self.workdir / "uploads", ignore_errors=True)
        self.redis_client().flushdb()

    def redis_client(self):
        import redis

        return redis.Redis(port=self.redis.port)

    def start(self, user: str, *command: str, relay: bool = False) -> subprocess.Popen:
        proc = subprocess.Popen(
            [self.flask, "--app", "wsgi", "intake", *command],
            cwd=ROOT,
            env=self.env(user, relay=relay),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def finish(self, proc: subprocess.Popen, timeout: float = 600) -> None:
        if proc.wait(timeout) != 0:
            raise RuntimeError(f"{proc.args} exited {proc.returncode}; see {self.workdir / 'procs.log'}")
        self.procs.remove(proc)

    def stop(self, proc: subprocess.Popen) -> None:
        proc.terminate()
        proc.wait(30)
        self.procs.remove(proc)

    # --- what the database says -----------------------------------------------------------------

    def parsed(self) -> tuple[int, float | None]:
        """How many stored messages are parsed, and when the last was (epoch seconds)."""
        with sqlite3.connect(self.db_path, timeout=30) as conn:
            n, last = conn.execute(
                "SELECT count(*), max(processed_at) FROM inbound_messages WHERE state = 'parsed'"
            ).fetchone()
        return n, _epoch(last) if last else None

    def wait_parsed(self, n: int, proc: subprocess.Popen, timeout: float = 600) -> float:
        deadline = time.time() + timeout
        while (found := self.parsed())[0] < n:
            if proc.poll() is not None:
                raise RuntimeError(f"the worker exited; see {self.workdir / 'procs.log'}")
            if time.time() > deadline:
                raise RuntimeError(f"{found[0]} of {n} parsed after {timeout} s")
            time.sleep(0.1)
        return found[1]

    def first_job_started(self, after: float) -> float:
        """When the first job (of either queue) that started after `after` started."""
        from rq.job import Job
        from rq.registry import FinishedJobRegistry

        conn = self.redis_client()
        ids = [
            job_id
            for name in ("intake-test", "intake-test-triage")
            for job_id in FinishedJobRegistry(name, connection=conn).get_job_ids()
        ]
        starts = [job.started_at.replace(tzinfo=UTC).timestamp() for job in Job.fetch_many(ids, conn) if job]
        return min(t for t in starts if t >= after)

    def idle_worker(self) -> subprocess.Popen:
        from rq import Worker

        worker = self.start("bench", "worker")
        deadline = time.time() + 60
        while not Worker.all(connection=self.redis_client()):
            if worker.poll() is not None or time.time() > deadline:
                raise RuntimeError("the worker did not start")
            time.sleep(0.05)
        time.sleep(1)  # registered, then idle on its queues
        return worker

    # --- the measurements -----------------------------------------------------------------------

    def baseline(self) -> dict:
        started = time.time()
        out = subprocess.run(
            [sys.executable, "-c", BASELINE, "127.0.0.1", str(self.dovecot.port), "bench", PASSWORD],
            env=self.env("bench"),
            capture_output=True,
            text=True,
            check=True,
        )
        seconds = time.time() - started
        assert int(out.stdout) == self.args.messages, out.stdout
        return {"seconds": seconds}

    def cold(self) -> dict:
        self.fresh()
        started = time.time()
        self.finish(self.start("bench", "poll", "--once", relay=True))
        polled = time.time()
        worker_started = time.time()
        worker = self.start("bench", "worker", "--burst")
        self.finish(worker)
        n, last = self.parsed()
        assert n == self.args.messages, (n, self.args.messages)
        return {
            "seconds": last - started,
            "poll_seconds": polled - started,
            "poll_first_imap_s": self.relay.since(started),
            # `poll --once` runs the parse jobs it queued; the worker gets their follow-ups.
            "poll_first_job_s": self.first_job_started(started) - started,
            "worker_first_job_s": self.first_job_started(worker_started) - worker_started,
            "worker_exit_s": time.time() - started,
        }

    def live(self) -> dict:
        self.fresh()
        worker = self.idle_worker()
        started = time.time()
        self.finish(self.start("bench", "poll", "--once"))
        polled = time.time()
        last = self.wait_parsed(self.args.messages, worker)
        self.stop(worker)
        return {"seconds": last - started, "poll_seconds": polled - started}

    def start_times(self) -> dict:
        """Start to first IMAP command, on a mailbox with nothing new: `poll --once` and `watch`."""
        self.fresh()
        started = time.time()
        poll = self.start("empty", "poll", "--once", relay=True)
        self.finish(poll)
        poll_exit = time.time() - started
        poll_first = self.relay.since(started)
        started = time.time()
        watch = self.start("empty", "watch", relay=True)
        deadline = time.time() + 60
        while self.relay.since(started) is None and time.time() < deadline:
            time.sleep(0.01)
        watch_first = self.relay.since(started)
        self.stop(watch)
        return {
            "empty_poll_first_imap_s": poll_first,
            "empty_poll_exit_s": poll_exit,
            "watch_first_imap_s": watch_first,
        }

    def during(self, tries: int) -> dict:
        """One APPEND while the watcher stores a 2,000-message delivery: APPEND → item."""
        from imapclient import IMAPClient

        self.fresh()
        maildir = self.workdir / "dovecot" / "mail" / "during"
        maildir.mkdir(parents=True, exist_ok=True)
        shutil.chown(maildir, "mail", "mail")
        # As deployed (the Procfile): one watcher and two workers.
        watcher = self.start("during", "watch")
        workers = [self.idle_worker() for _ in range(self.args.during_workers)]
        worker = workers[0]
        client = IMAPClient("127.0.0.1", port=self.dovecot.port, ssl=False)
        client.login("during", PASSWORD)
        client.select_folder("INBOX")
        latencies, to_store, stored = [], [], 0
        n = self.args.messages
        for attempt in range(tries):
            first = 1_000_000 * (attempt + 1)
            rnd = random.Random(attempt)
            # One MULTIAPPEND (RFC 3502): the delivery gets its UIDs at once, as a delivery
            # agent's batch would. (Files written into the Maildir become visible in parts as
            # Dovecot syncs them, and the single message then got a UID among the delivery's.)
            client.multiappend("INBOX", [make_mixed(first + i, rnd) for i in range(n)])
            # Wait until the watcher is storing the delivery (its first batch committed).
            with sqlite3.connect(self.db_path, timeout=30) as conn:
                while conn.execute("SELECT count(*) FROM inbound_messages").fetchone()[0] <= stored:
                    time.sleep(0.005)
            single = make_message(first + n, rnd)  # Message-ID bench-{first + n}@example.cn
            appended = time.time()
            client.append("INBOX", single)
            with sqlite3.connect(self.db_path, timeout=30) as conn:
                while not (
                    row := conn.execute(
                        "SELECT processed_at, received_at FROM inbound_messages WHERE state = 'parsed' AND message_id = ?",
                        (f"bench-{first + n}@example.cn",),
                    ).fetchone()
                ):
                    if time.time() - appended > 120:
                        raise RuntimeError("the single message did not become an item within 120 s")
                    time.sleep(0.01)
            latencies.append(_epoch(row[0]) - appended)
            to_store.append(_epoch(row[1]) - appended)
            stored += n + 1
            self.wait_parsed(stored, worker)  # the delivery is through before the next try
        client.logout()
        for each in workers:
            self.stop(each)
        self.stop(watcher)
        latencies.sort()
        to_store.sort()
        return {
            "during_tries": tries,
            "during_workers": len(workers),
            "during_stored_p50_s": round(statistics.median(to_store), 3),
            "during_stored_p95_s": round(to_store[max(0, int(len(to_store) * 0.95) - 1)], 3),
            "during_latencies_s": [round(x, 3) for x in latencies],
            "during_p50_s": round(statistics.median(latencies), 3),
            "during_p95_s": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 3),
        }

    def procfile(self, raws: list[bytes]) -> dict:
        """The Procfile's way: `intake watch` and two `intake worker`s running; the messages
        APPENDed one by one; from the last APPEND to the last item committed."""
        from imapclient import IMAPClient

        self.fresh()
        watcher = self.start("procfile", "watch")
        workers = [self.idle_worker(), self.idle_worker()]
        client = IMAPClient("127.0.0.1", port=self.dovecot.port, ssl=False)
        client.login("procfile", PASSWORD)
        started = time.time()
        for raw in raws:
            client.append("INBOX", raw)
        appended = time.time()
        client.logout()
        last = self.wait_parsed(len(raws), workers[0])
        for proc in (*workers, watcher):
            self.stop(proc)
        return {"procfile_append_s": appended - started, "procfile_after_last_append_s": max(0.0, last - appended)}

    def close(self) -> None:
        for proc in list(self.procs):
            proc.kill()
        self.dovecot.stop()
        self.redis.stop()
        if not self.args.keep_temp:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _epoch(value: str) -> float:
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--during", type=int, default=0, help="tries of the single message during a batch (0: skip)")
    parser.add_argument("--procfile", action="store_true", help="also: one watcher and two workers running, APPENDs")
    parser.add_argument(
        "--during-workers", type=int, default=2, help="workers running in the during run (the Procfile has two)"
    )
    parser.add_argument("--keep-temp", action="store_true")
    args = parser.parse_args()
    rnd = random.Random(19)
    raws = [make_mixed(n, rnd) for n in range(args.messages)]
    rig = Rig(args)
    rounds = []
    try:
        rig.prepare(raws)
        kinds = ["baseline", "cold", "live"]
        for r in range(args.rounds):
            order = kinds[r % 3 :] + kinds[: r % 3]
            measured = {kind: getattr(rig, kind)() for kind in order}
            measured.update(rig.start_times())
            measured["order"] = order
            rounds.append(measured)
            b = measured["baseline"]["seconds"]
            print(
                f"round {r + 1} ({', '.join(order)}): baseline {b:.2f} s, "
                f"cold {measured['cold']['seconds']:.2f} s ({b / measured['cold']['seconds']:.2f}×), "
                f"live {measured['live']['seconds']:.2f} s ({b / measured['live']['seconds']:.2f}×)",
                flush=True,
            )
        results = summarize(args, rounds) if rounds else {"messages": args.messages}  # --rounds 0: --during alone
        print(json.dumps(results, indent=2, ensure_ascii=False), flush=True)
        if args.procfile:
            results.update(rig.procfile(raws))
            results["procfile_ratio"] = round(
                results["baseline_s"] / max(results["procfile_after_last_append_s"], 1e-3), 1
            )
            print(json.dumps({k: v for k, v in results.items() if k.startswith("procfile")}), flush=True)
        if args.during:
            results.update(rig.during(args.during))
    finally:
        rig.close()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"mail_limit-{args.messages}-{int(time.time())}.json").write_text(json.dumps(results, indent=2))
    return 0


def summarize(args, rounds: list[dict]) -> dict:
    def med(values):
        return round(statistics.median(values), 3)

    cold = [r["baseline"]["seconds"] / r["cold"]["seconds"] for r in rounds]
    live = [r["baseline"]["seconds"] / r["live"]["seconds"] for r in rounds]
    return {
        "messages": args.messages,
        "rounds": rounds,
        "baseline_s": med([r["baseline"]["seconds"] for r in rounds]),
        "cold_s": med([r["cold"]["seconds"] for r in rounds]),
        "live_s": med([r["live"]["seconds"] for r in rounds]),
        "cold_ratio": med(cold),
        "cold_ratio_range": [round(min(cold), 2), round(max(cold), 2)],
        "live_ratio": med(live),
        "live_ratio_range": [round(min(live), 2), round(max(live), 2)],
        "cold_poll_s": med([r["cold"]["poll_seconds"] for r in rounds]),
        "cold_poll_first_imap_s": med([r["cold"]["poll_first_imap_s"] for r in rounds]),
        "cold_poll_first_job_s": med([r["cold"]["poll_first_job_s"] for r in rounds]),
        "cold_worker_first_job_s": med([r["cold"]["worker_first_job_s"] for r in rounds]),
        "empty_poll_first_imap_s": med([r["empty_poll_first_imap_s"] for r in rounds]),
        "empty_poll_exit_s": med([r["empty_poll_exit_s"] for r in rounds]),
        "watch_first_imap_s": med([r["watch_first_imap_s"] for r in rounds]),
        "targets": {"cold ≥ 0.6": med(cold) >= 0.6, "live ≥ 0.9": med(live) >= 0.9},
    }


if __name__ == "__main__":
    sys.exit(main())
