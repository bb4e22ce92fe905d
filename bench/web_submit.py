"""Throughput of the public form POST against the bare insert endpoint (issue 2).

Starts its own servers (a private redis-server, gunicorn serving wsgi:app with
BENCH_ENDPOINTS=1, a fresh SQLite file or PostgreSQL database), drives them from separate
client processes, and prints requests/s of

  bare  POST /_bench/insert  one insert of an item with the same text + commit, nothing else
  form  POST /jiandu/        a valid Chinese submission through the real route: CSRF, full
                             validation, reporter + item + event, commit, rq enqueue, commit

in alternating phases (bare, form, bare, form, ...), the median of each, and the ratio
form/bare. Every response is checked; afterwards the rows in feedback_items must equal the
successful POSTs and Redis must hold one job per submission.

    .venv/bin/python bench/web_submit.py                 # SQLite in a temp dir
    .venv/bin/python bench/web_submit.py --postgres      # creates and drops intake_bench_web
    .venv/bin/python bench/web_submit.py --database-url postgresql+psycopg://...   # existing DB

Exit code: 0 when the run was clean (PASS or FAIL of the target is only printed), 1 when a
request failed or the row check did not add up, 2 when the servers could not be set up.
See bench/README.md for how to read the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import servers  # noqa: E402 - the test rig's servers

TARGET_RATIO = 0.5
DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_BENCH_DB = "intake_bench_web"  # not intake_bench: bench/mail_ingest.py uses that one
FORM_PATH = "/jiandu/"
FORM_REDIRECT = "/jiandu/submitted"
BARE_PATH = "/_bench/insert"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SELECT_RE = r'<select[^>]*name="{name}"[^>]*>(.*?)</select>'
OPTION_RE = re.compile(r'<option[^>]*value="([^"]*)"')
BOUNDARY = "----intakeBenchBoundary7MA4YWxkTrZu0gW"
BODY_TEXT = (
    "政务服务大厅3号窗口办理不动产登记时，工作人员态度生硬，材料要求前后不一致，"
    "让我来回跑了三次仍未办结。第一次说缺少户口本复印件，第二次又说需要社区证明，"
    "第三次窗口提前半小时就停止叫号。希望政协监督有关部门规范一次性告知制度，"
    "公开办事指南，改进服务作风。"
)

BARE_BODY = urllib.parse.urlencode({"body": BODY_TEXT}).encode()


class SetupError(RuntimeError):
    """The servers or the database could not be prepared."""


# --- small helpers -------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[bench] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@dataclass
class Server:
    """A process we started in its own session, so that stopping it stops its children."""

    name: str
    argv: list[str]
    port: int
    logfile: Path
    env: dict | None = None
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        with open(self.logfile, "ab") as out:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=REPO,
                start_new_session=True,
            )
        if not wait_for_port(self.port, timeout, self.proc):
            self.stop()
            raise SetupError(f"{self.name} did not listen on port {self.port}:\n{tail(self.logfile)}")

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout)
        except ProcessLookupError:
            pass


def child_pids(pid: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the given processes, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# --- the load generator (runs in child processes; standard library only) -----------------


def _multipart(fields: list[tuple[str, str]]) -> bytes:
    """The body a browser sends for this form: multipart, with the empty file input included."""
    parts = []
    for name, value in fields:
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n")
    return "".join(parts).encode("utf-8")


class Client:
    """One browser-like client on one HTTP/1.1 connection (re-opened when the server closes it)."""

    def __init__(self, port: int, client_id: int):
        self.port = port
        self.client_id = client_id
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""
        self.unit_ids: list[str] = []
        self.category_ids: list[str] = []
        self.sent = 0

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection
            raise
        for header in response.msg.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            for key, morsel in jar.items():
                self.cookies[key] = morsel.value
        if response.will_close:
            self.conn.close()
        return response, data

    def setup(self) -> None:
        """GET the form once: session cookie, CSRF token, and the unit/category choices."""
        response, data = self._request("GET", FORM_PATH)
        html = data.decode("utf-8", "replace")
        if response.status != 200:
            raise RuntimeError(f"GET {FORM_PATH} answered {response.status}")
        match = CSRF_RE.search(html)
        if not match or "session" not in self.cookies:
            raise RuntimeError("no CSRF token or session cookie from the form page")
        self.csrf_token = match.group(1)
        for name, target in (("unit_id", self.unit_ids), ("category_id", self.category_ids)):
            select = re.search(SELECT_RE.format(name=name), html, re.S)
            values = OPTION_RE.findall(select.group(1)) if select else []
            target.extend(v for v in values if v not in ("", "0"))
        if not self.unit_ids or not self.category_ids:
            raise RuntimeError("the form offers no units or categories: was the database seeded?")

    def form_body(self) -> bytes:
        n = self.sent
        self.sent += 1
        return _multipart(
            [
                ("csrf_token", self.csrf_token),
                ("kind", "complaint"),
                ("unit_id", self.unit_ids[n % len(self.unit_ids)]),
                ("category_id", self.category_ids[n % len(self.category_ids)]),
                ("subject", "不动产登记窗口办事难"),
                ("body", f"{BODY_TEXT}（编号 {self.client_id}-{n}）"),
                ("location", "县政务服务中心一楼3号窗口，11月2日上午"),
                ("name", "张三"),
                ("phone", "13800138000"),
                ("email", "zhangsan@example.com"),
                ("consent", "y"),
                ("website", ""),
            ]
        )

    def post(self, kind: str) -> str | None:
        """One POST; returns None when the answer is the expected one, else what went wrong."""
        try:
            if kind == "form":
                response, data = self._request(
                    "POST",
                    FORM_PATH,
                    self.form_body(),
                    {
                        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                        "Origin": f"http://127.0.0.1:{self.port}",
                        "Referer": f"http://127.0.0.1:{self.port}{FORM_PATH}",
                    },
                )
                location = response.getheader("Location", "")
                if response.status != 303 or not location.endswith(FORM_REDIRECT):
                    return f"form: {response.status} Location={location!r} {data[:200]!r}"
            else:
                # The same text as the form: the row, its search index entries and its pages
                # cost the same; what differs is everything a real submission does around it.
                response, data = self._request(
                    "POST", BARE_PATH, BARE_BODY, {"Content-Type": "application/x-www-form-urlencoded"}
                )
                if response.status != 200 or data != b"ok":
                    return f"bare: {response.status} {data[:200]!r}"
        except (OSError, http.client.HTTPException) as exc:
            return f"{kind}: {type(exc).__name__}: {exc}"
        return None


def client_main(conn, port: int, client_id: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops us
    client = Client(port, client_id)
    try:
        client.setup()
    except Exception as exc:  # reported to the parent, which fails loudly
        conn.send({"error": f"client {client_id} setup: {type(exc).__name__}: {exc}"})
        return
    conn.send({"ready": True})
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        _, kind, t_start, t_end = message
        while time.monotonic() < t_start:
            time.sleep(min(0.01, max(0.0, t_start - time.monotonic())))
        cpu0 = time.process_time()
        ok = in_window = 0
        errors: list[str] = []
        latencies: list[float] = []
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            problem = client.post(kind)
            t1 = time.monotonic()
            if problem is None:
                ok += 1
                if t1 <= t_end:
                    in_window += 1
                    latencies.append(t1 - t0)
            else:
                errors.append(problem)
        conn.send(
            {
                "ok": ok,
                "in_window": in_window,
                "errors": len(errors),
                "error_samples": errors[:5],
                "latencies": latencies,
                "cpu": time.process_time() - cpu0,
            }
        )


# --- the benchmark --------------------------------------------------------------------------


@dataclass
class Phase:
    kind: str
    seconds: float
    warmup: bool = False
    ok: int = 0
    in_window: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    machine_busy: float = 0.0
    other_busy: float = 0.0  # machine CPU used by processes that are not part of the benchmark
    disturbed: bool = False

    @property
    def rps(self) -> float:
        return self.in_window / self.seconds

    def latency_ms(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        return 1000 * data[min(len(data) - 1, int(q * len(data)))]

    @property
    def client_cpu_ms_per_req(self) -> float:
        return 1000 * self.client_cpu / self.in_window if self.in_window else float("nan")

    @property
    def server_cpu_ms_per_req(self) -> float:
        return 1000 * self.server_cpu / self.in_window if self.in_window else float("nan")


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="intake-bench-", dir=args.tmpdir))
        self.servers: list = []  # Server here, or the test rig's Process
        self.clients: list[tuple[multiprocessing.Process, object]] = []
        self.database_url = ""
        self.backend = ""
        self.created_pg_db = False
        self.env: dict[str, str] = {}
        self.gunicorn: Server | None = None
        self.redis_url = ""

    # setup

    def start_redis(self) -> None:
        try:
            server = servers.start_redis(self.tmp)  # the test rig's private Redis
        except servers.ServerUnavailable as exc:
            raise SetupError(str(exc)) from exc
        self.servers.append(server)
        self.redis_url = f"redis://127.0.0.1:{server.port}/0"
        log(f"redis-server on port {server.port}")

    def prepare_database(self) -> None:
        import sqlalchemy

        if self.args.database_url:
            self.database_url = self.args.database_url
        elif self.args.postgres:
            admin = self.args.postgres_admin_url
            try:
                self.database_url = servers.create_database(admin, PG_BENCH_DB)
            except sqlalchemy.exc.OperationalError as exc:
                raise SetupError(f"PostgreSQL at {admin} is not reachable: {exc}") from exc
            self.created_pg_db = True
        else:
            self.database_url = f"sqlite:///{self.tmp / 'intake-bench.sqlite3'}"
        self.backend = sqlalchemy.engine.make_url(self.database_url).get_backend_name()
        log(f"database: {self.redacted(self.database_url)}")
        self.env = {
            **os.environ,
            "INTAKE_CONFIG": "production",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": os.urandom(24).hex(),
            # What a production start requires (intake/ops/startup.py); the bench sends no mail.
            "PUBLIC_BASE_URL": "http://127.0.0.1",
            "SMTP_HOST": "127.0.0.1",
            "MAIL_FROM": "jiandu@example.gov.cn",
            "UPLOAD_DIR": str(self.tmp / "uploads"),
            "BENCH_ENDPOINTS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            # The load comes from one address: lift the per-client limit of the public form.
            "SUBMIT_LIMIT": "100000000",
        }
        for argv in (["db", "upgrade"], ["intake", "seed"]):
            cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *argv]
            result = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True)
            if result.returncode != 0:
                raise SetupError(f"`flask --app wsgi {' '.join(argv)}` failed:\n{result.stdout}{result.stderr}")
        log("migrated (flask --app wsgi db upgrade) and seeded (flask --app wsgi intake seed)")

    def gunicorn_argv(self, port: int) -> list[str]:
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(self.args.workers),
            "--backlog",
            "256",
            "--error-logfile",
            str(self.tmp / "gunicorn.log"),
            "--log-level",
            "warning",
        ]
        if not self.args.no_access_log:
            argv += ["--access-logfile", str(self.tmp / "access.log")]
        if self.args.threads > 1:
            argv += ["--worker-class", "gthread", "--threads", str(self.args.threads)]
        else:
            argv += ["--worker-class", "sync"]
        return argv + ["wsgi:app"]

    def start_gunicorn(self) -> None:
        port = free_port()
        server = Server("gunicorn", self.gunicorn_argv(port), port, self.tmp / "gunicorn.out", env=self.env)
        self.servers.append(server)
        server.start()
        self.gunicorn = server
        # Wait until the workers answer (the port listens as soon as the master binds).
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", FORM_PATH)
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    break
                raise SetupError(f"GET {FORM_PATH} answered {status}:\n{tail(self.tmp / 'gunicorn.log')}")
            except OSError:
                if time.monotonic() > deadline:
                    raise SetupError(f"gunicorn workers do not answer:\n{tail(self.tmp / 'gunicorn.log')}")
                time.sleep(0.2)
        workers = child_pids(server.proc.pid)
        log(f"gunicorn on port {port}: {' '.join(self.gunicorn_argv(port)[1:])} (worker pids {workers})")

    def start_clients(self) -> None:
        ctx = multiprocessing.get_context("fork")
        for i in range(self.args.clients):
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=client_main, args=(child_end, self.gunicorn.port, i), daemon=True)
            proc.start()
            self.clients.append((proc, parent_end))
        for _proc, conn in self.clients:
            if not conn.poll(30):
                raise SetupError("a client process did not get ready in 30 s")
            message = conn.recv()
            if "error" in message:
                raise SetupError(message["error"])
        log(f"{len(self.clients)} client processes ready (session cookie + CSRF token from GET {FORM_PATH})")

    # measuring

    def run_phase(self, kind: str, seconds: float, warmup: bool = False) -> Phase:
        phase = Phase(kind, seconds, warmup)
        t_start = time.monotonic() + 0.2
        t_end = t_start + seconds
        for _, conn in self.clients:
            conn.send(("phase", kind, t_start, t_end))
        time.sleep(max(0.0, t_start - time.monotonic()))
        workers = child_pids(self.gunicorn.proc.pid)
        ours = self.our_pids(workers)
        server0, ours0, machine0 = cpu_seconds(workers), cpu_seconds(ours), machine_cpu()
        time.sleep(max(0.0, t_end - time.monotonic()))
        server1, ours1, machine1 = cpu_seconds(workers), cpu_seconds(ours), machine_cpu()
        phase.server_cpu = server1 - server0
        tick = os.sysconf("SC_CLK_TCK")
        busy = (machine1[0] - machine0[0]) / tick
        total = (machine1[1] - machine0[1]) / tick
        if total:
            phase.machine_busy = 100.0 * busy / total
            phase.other_busy = max(0.0, 100.0 * (busy - (ours1 - ours0)) / total)
        for _proc, conn in self.clients:
            if not conn.poll(60):
                raise RuntimeError("a client did not report back within 60 s of the phase end")
            result = conn.recv()
            phase.ok += result["ok"]
            phase.in_window += result["in_window"]
            phase.errors += result["errors"]
            phase.error_samples += result["error_samples"]
            phase.latencies += result["latencies"]
            phase.client_cpu += result["cpu"]
        return phase

    def our_pids(self, workers: list[int]) -> list[int]:
        """Every process doing the benchmark's work, so that what else runs can be told apart."""
        pids = [os.getpid()] + workers + [s.proc.pid for s in self.servers if s.proc]
        pids += [proc.pid for proc, _ in self.clients]
        database = self.pg_database_name()
        if database:  # the local PostgreSQL backends serving our database
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if text.startswith("postgres:") and f" {database} " in text:
                    pids.append(int(cmdline.parent.name))
        return pids

    def pg_database_name(self) -> str | None:
        if self.backend != "postgresql":
            return None
        import sqlalchemy

        url = sqlalchemy.engine.make_url(self.database_url)
        return url.database if url.host in (None, "", "127.0.0.1", "localhost", "::1") else None

    def counts(self) -> dict[str, int]:
        import sqlalchemy

        engine = sqlalchemy.create_engine(self.database_url)
        queries = {
            "items": "SELECT count(*) FROM feedback_items",
            "bare_items": "SELECT count(*) FROM feedback_items WHERE tracking_code LIKE 'BENCH-%'",
            "reporters": "SELECT count(*) FROM reporters",
            "events": "SELECT count(*) FROM events",
            "undispatched": "SELECT count(*) FROM feedback_items "
            "WHERE dispatched_at IS NULL AND tracking_code NOT LIKE 'BENCH-%'",
        }
        try:
            with engine.connect() as conn:
                result = {k: conn.execute(sqlalchemy.text(q)).scalar_one() for k, q in queries.items()}
        finally:
            engine.dispose()
        from redis import Redis
        from rq import Queue

        redis = Redis.from_url(self.redis_url)
        result["jobs"] = Queue(self.env.get("RQ_QUEUE", "intake"), connection=redis).count
        redis.close()
        return result

    # teardown

    def close(self) -> None:
        for _proc, conn in self.clients:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for proc, _ in self.clients:
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        for server in reversed(self.servers):
            server.stop()
        if self.created_pg_db:
            import sqlalchemy

            try:
                servers.drop_database(self.args.postgres_admin_url, PG_BENCH_DB)
                log(f"dropped database {PG_BENCH_DB}")
            except sqlalchemy.exc.SQLAlchemyError as exc:
                log(f"WARNING: could not drop database {PG_BENCH_DB}: {exc}")
        if self.args.keep_temp:
            log(f"kept {self.tmp} (logs, SQLite file)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def redacted(url: str) -> str:
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def print_report(bench: Bench, phases: list[Phase], args) -> dict:
    measured = [p for p in phases if not p.warmup]
    print()
    print(
        f"{'phase':<8} {'endpoint':<25} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'srv CPU ms/req':>14} {'cli CPU ms/req':>14} {'machine CPU':>11} {'other CPU':>9} {'errors':>6}"
    )
    for p in phases:
        label = "warm-up" if p.warmup else f"round {1 + measured.index(p) // 2}"
        if p.disturbed:
            label += "*"
        endpoint = f"POST {FORM_PATH}" if p.kind == "form" else f"POST {BARE_PATH}"
        print(
            f"{label:<8} {p.kind + ' ' + endpoint:<25} {p.rps:>8.1f} {p.latency_ms(0.5):>7.1f} "
            f"{p.latency_ms(0.95):>7.1f} {p.server_cpu_ms_per_req:>14.2f} {p.client_cpu_ms_per_req:>14.2f} "
            f"{p.machine_busy:>10.0f}% {p.other_busy:>8.0f}% {p.errors:>6}"
        )
    counted = [p for p in measured if not p.disturbed]
    if any(p.disturbed for p in measured):
        print(
            f"* disturbed: other processes used more than {args.max_other:g}% of the machine's CPU "
            "during the round; left out of the medians"
            if counted
            else "* every round was disturbed by other processes: the medians below use them all, read them with care"
        )
    if not counted:
        counted = measured
    bare = [p.rps for p in counted if p.kind == "bare"]
    form = [p.rps for p in counted if p.kind == "form"]
    bare_med, form_med = statistics.median(bare), statistics.median(form)
    ratio = form_med / bare_med if bare_med else 0.0
    per_round = [f / b for b, f in zip(bare, form) if b]
    cpu_bare = statistics.median(p.server_cpu_ms_per_req for p in counted if p.kind == "bare")
    cpu_form = statistics.median(p.server_cpu_ms_per_req for p in counted if p.kind == "form")
    print()
    print(
        f"bare  POST {BARE_PATH:<15} median {bare_med:8.1f} req/s   "
        f"(phases: {', '.join(f'{x:.1f}' for x in bare)}; server CPU {cpu_bare:.2f} ms/req)"
    )
    print(
        f"form  POST {FORM_PATH:<15} median {form_med:8.1f} req/s   "
        f"(phases: {', '.join(f'{x:.1f}' for x in form)}; server CPU {cpu_form:.2f} ms/req)"
    )
    print(f"per-round ratios form/bare: {', '.join(f'{r:.2f}' for r in per_round)}")
    print(
        f"server CPU per request bare/form: {cpu_bare / cpu_form:.2f} "
        "(the ratio the CPU cost alone would allow; less sensitive to other load)"
    )
    return {
        "rounds_counted": len(counted) // 2,
        "rounds_disturbed": sum(p.disturbed for p in measured) // 2,
        "cpu_ratio": cpu_bare / cpu_form,
        "bare_rps": bare_med,
        "form_rps": form_med,
        "ratio": ratio,
        "per_round_ratios": per_round,
        "bare_phases": bare,
        "form_phases": form,
        "server_cpu_ms_per_req": {"bare": cpu_bare, "form": cpu_form},
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Requests/s of the public form POST vs the bare insert endpoint (issue 2)."
    )
    db = parser.add_mutually_exclusive_group()
    db.add_argument(
        "--postgres",
        action="store_true",
        help=f"create (and afterwards drop) the database {PG_BENCH_DB} on --postgres-admin-url",
    )
    db.add_argument(
        "--database-url", help="use this existing database (migrated and seeded here; rows are added and not removed)"
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("BENCH_PG_ADMIN_URL", DEFAULT_PG_ADMIN_URL),
        help=f"PostgreSQL URL used to create/drop the database with --postgres (default {DEFAULT_PG_ADMIN_URL})",
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase (default 10)")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="warm-up seconds per endpoint before measuring (default 3)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="measured rounds, each a bare phase then a form phase (default 3)"
    )
    parser.add_argument("--clients", type=int, default=4, help="client processes, one connection each (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as in the Procfile)")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per worker: >1 uses the gthread worker class, 1 the sync one (default 4, as in the Procfile)",
    )
    parser.add_argument(
        "--no-access-log", action="store_true", help="do not write gunicorn's access log (the Procfile writes one)"
    )
    parser.add_argument(
        "--max-other",
        type=float,
        default=10.0,
        help="a round during which other processes used more than this %% of the machine's "
        "CPU is left out and repeated (default 10)",
    )
    parser.add_argument(
        "--max-retries", type=int, default=3, help="how many disturbed rounds may be repeated (default 3)"
    )
    parser.add_argument("--tmpdir", default=None, help="where to make the temp dir (default: system temp)")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temp dir (logs, SQLite file)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.clients < 1 or args.workers < 1 or args.seconds <= 0:
        parser.error("--rounds, --clients, --workers must be >= 1 and --seconds > 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    # Also when started in the background, where the shell may have set Ctrl-C to be ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    bench = Bench(args)
    started = dt.datetime.now().astimezone()
    log(f"{started:%Y-%m-%d %H:%M %Z}, {os.cpu_count()} CPU(s) {cpu_model()}, Python {platform.python_version()}")
    phases: list[Phase] = []
    busy0 = machine_cpu()
    time.sleep(1.0)
    busy1 = machine_cpu()
    idle_busy = 100.0 * (busy1[0] - busy0[0]) / max(1, busy1[1] - busy0[1])
    log(f"machine CPU busy before start: {idle_busy:.0f}%")
    if idle_busy > 15:
        log("WARNING: other processes are using the CPU; the figures will be noisy (run on a quiet machine)")
    try:
        try:
            bench.start_redis()
            bench.prepare_database()
            before = bench.counts()
            bench.start_gunicorn()
            bench.start_clients()
        except SetupError as exc:
            print(f"\nSETUP FAILED: {exc}", file=sys.stderr)
            return 2
        log(
            f"warm-up {args.warmup:g} s per endpoint, then {args.rounds} x (bare {args.seconds:g} s, "
            f"form {args.seconds:g} s)"
        )
        if args.warmup > 0:
            for kind in ("bare", "form"):
                phase = bench.run_phase(kind, args.warmup, warmup=True)
                phases.append(phase)
                log(f"warm-up {kind}: {phase.rps:.1f} req/s, {phase.errors} error(s)")
        clean = extra = 0
        while clean < args.rounds:
            pair = [bench.run_phase(kind, args.seconds) for kind in ("bare", "form")]
            phases += pair
            disturbed = max(p.other_busy for p in pair) > args.max_other
            for p in pair:
                p.disturbed = disturbed
                log(
                    f"phase {p.kind}: {p.rps:.1f} req/s, {p.errors} error(s), other processes "
                    f"{p.other_busy:.0f}% CPU{' (disturbed)' if disturbed else ''}"
                )
            if not disturbed:
                clean += 1
            elif extra < args.max_retries:
                extra += 1
                log(f"round disturbed by other processes; repeating it ({extra}/{args.max_retries})")
            else:
                log("round disturbed by other processes; no repeats left")
                clean += 1
        after = bench.counts()
        summary = print_report(bench, phases, args)

        # Every successful POST is exactly one row; every form POST exactly one queued job.
        bare_ok = sum(p.ok for p in phases if p.kind == "bare")
        form_ok = sum(p.ok for p in phases if p.kind == "form")
        errors = sum(p.errors for p in phases)
        delta = {k: after[k] - before[k] for k in after}
        checks = [
            ("rows in feedback_items", delta["items"], bare_ok + form_ok),
            ("  of which bare (BENCH-*)", delta["bare_items"], bare_ok),
            ("rows in reporters", delta["reporters"], form_ok),
            ("rows in events", delta["events"], form_ok),
            ("rq jobs queued in Redis", delta["jobs"], form_ok),
            # No worker runs here: each form item waits for its job, which marks it when it starts.
            ("form items whose job has not started", delta["undispatched"], form_ok),
        ]
        print()
        print(f"successful POSTs: bare {bare_ok}, form {form_ok} (warm-up included); errors: {errors}")
        check_failed = False
        for name, got, expected in checks:
            status = "ok" if got == expected else "MISMATCH"
            check_failed |= got != expected
            print(f"  {name:<34} {got:>8}  expected {expected:>8}  {status}")
        if errors:
            print(f"\nERRORS: {errors} request(s) failed; first ones:", file=sys.stderr)
            for p in phases:
                for sample in p.error_samples[:5]:
                    print(f"  {sample}", file=sys.stderr)
            print(f"(server log: {bench.tmp / 'gunicorn.log'}; use --keep-temp to keep it)", file=sys.stderr)
        verdict = "PASS" if summary["ratio"] >= TARGET_RATIO else "FAIL"
        print()
        print(
            f"setup: {bench.backend}, gunicorn {args.workers} "
            f"{'gthread x' + str(args.threads) if args.threads > 1 else 'sync'} worker(s), "
            f"{args.clients} client process(es), {args.rounds} x {args.seconds:g} s per endpoint, "
            f"{os.cpu_count()} CPU(s)"
        )
        print(f"ratio form/bare = {summary['ratio']:.2f} (target >= {TARGET_RATIO}): {verdict}")
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(
                json.dumps(
                    {
                        "date": started.isoformat(timespec="seconds"),
                        "backend": bench.backend,
                        "machine_busy_before_start": idle_busy,
                        "nproc": os.cpu_count(),
                        "cpu": cpu_model(),
                        "args": vars(args),
                        **summary,
                        "verdict": verdict,
                        "errors": errors,
                        "checks": {name.strip(): {"got": got, "expected": exp} for name, got, exp in checks},
                    },
                    indent=2,
                    ensure_ascii=False,
                )
                + "\n"
            )
        if errors or check_failed:
            print("RUN NOT CLEAN: requests failed or rows do not add up (see above)", file=sys.stderr)
            return 1
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the servers", file=sys.stderr)
        return 130
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
