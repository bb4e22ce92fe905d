"""What the HTTP load benchmarks share (bench/public_load.py, bench/ballot_http.py):
the servers as production runs them, and a small browser-like HTTP/1.1 client on asyncio.

- `Stack`: a private redis-server on a free port, a scratch PostgreSQL database (created, then
  migrated with `flask --app wsgi db upgrade` and seeded with `flask --app wsgi intake seed`,
  dropped at the end), and gunicorn started with deploy/gunicorn.conf.py and INTAKE_CONFIG=production
  on a free 127.0.0.1 port, serving `wsgi:app` or the baseline `bench.bare_flask:app`.
- `Browser`: one keep-alive connection, a cookie jar, no redirects followed by itself (each page
  is timed on its own). Standard library only, so it adds nothing to the requirements and costs
  the machine little: the clients run on the same two cores as the servers."""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"
BARE_APP = "bench.bare_flask:app"
HIDDEN_INPUT_RE = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>", re.I)
ATTR_RE = re.compile(r'\b(name|value)="([^"]*)"')


class SetupError(RuntimeError):
    """The servers or the database could not be prepared."""


def cycle_ready_to_draw(units: int, staff_id: int) -> int:
    """Next year's cycle with its draw of `units` committed, ready to run (bench units added
    when the seed lists fewer eligible ones); returns the year. In the caller's app context
    (bench/ballot_http.py, bench/program_moments.py, which times the draw itself)."""
    from datetime import date

    from intake.extensions import db
    from intake.program import services as program
    from intake.reference.models import Unit

    pool = program.eligible_units()
    for n in range(max(0, units - len(pool))):
        db.session.add(Unit(code=f"bench{n:02d}", name=f"县基准测试局{n:02d}", lottery_eligible=True))
    year = date.today().year + 1
    program.create_cycle(year, actor_id=staff_id)
    program.commit_draw(year, units, "bench beacon", actor_id=staff_id)
    db.session.commit()
    return year


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of a page, as a browser would send it back (csrf_token among them)."""
    fields = {}
    for tag in HIDDEN_INPUT_RE.findall(html):
        attrs = dict(ATTR_RE.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = _unescape(attrs.get("value", ""))
    return fields


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


# --- servers ----------------------------------------------------------------------------------


@dataclass
class Stack:
    """Redis, a scratch PostgreSQL database and gunicorn servers, as production runs them."""

    admin_url: str
    db_name: str
    overrides: dict[str, str] = field(default_factory=dict)
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="intake-load-")))
    database_url: str = ""
    redis_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    _redis: object = None
    _gunicorns: list[subprocess.Popen] = field(default_factory=list)
    _created_db: bool = False

    def start(self) -> None:
        import sqlalchemy

        from tests import servers

        try:
            self._redis = servers.start_redis(self.tmp)
        except servers.ServerUnavailable as exc:
            raise SetupError(str(exc)) from exc
        self.redis_url = f"redis://127.0.0.1:{self._redis.port}/0"
        try:
            self.database_url = servers.create_database(self.admin_url, self.db_name)
        except sqlalchemy.exc.OperationalError as exc:
            raise SetupError(f"PostgreSQL at {self.admin_url} is not reachable: {exc}") from exc
        self._created_db = True
        self.env = {
            **os.environ,
            # What a production start requires (intake/ops/startup.py, deploy/intake.env.example),
            # with test values: nothing here sends mail or is reached from outside.
            "INTAKE_CONFIG": "production",
            "SECRET_KEY": os.urandom(32).hex(),
            "PUBLIC_BASE_URL": "https://jiandu.example.gov.cn",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": "2525",
            "MAIL_FROM": "政协民主监督邮箱 <jiandu@example.gov.cn>",
            "UPLOAD_DIR": str(self.tmp / "uploads"),
            "CLASSIFIER_PATH": str(self.tmp / "no-classifier.joblib"),
            "METRICS_TOKEN": "bench-metrics-token",
            # Our own metrics directory: deploy/gunicorn.conf.py empties it at start.
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics"),
            # No nginx in front: gunicorn is reached directly, so no proxy is believed.
            "PROXY_HOPS": "0",
            # Bytecode cached as a deployed app has it (this shell sets PYTHONDONTWRITEBYTECODE),
            # in the temp dir; the setup commands below warm it.
            "PYTHONPYCACHEPREFIX": str(self.tmp / "pycache"),
            **self.overrides,
        }
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        for argv in (["db", "upgrade"], ["intake", "seed"]):
            self.flask(argv)
        log(f"database {self.db_name} migrated (flask --app wsgi db upgrade) and seeded (flask --app wsgi intake seed)")

    def flask(self, argv: list[str]) -> str:
        cmd = [sys.executable, "-m", "flask", "--app", "wsgi", *argv]
        result = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise SetupError(f"`flask --app wsgi {' '.join(argv)}` failed:\n{result.stdout}{result.stderr}")
        return result.stdout

    def gunicorn(self, app: str, name: str, ready_path: str = "/") -> int:
        """gunicorn -c deploy/gunicorn.conf.py APP on a free loopback port; its port once a
        worker answers ready_path with 200."""
        port = free_port()
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
        logfile = self.tmp / f"gunicorn-{name}.log"
        with open(logfile, "ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._gunicorns.append(proc)
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SetupError(f"gunicorn {app} exited ({proc.returncode}):\n{tail(logfile)}")
            status = _get_status(port, ready_path)
            if status == 200:
                break
            if status is not None and status >= 500 or time.monotonic() > deadline:
                raise SetupError(f"gunicorn {app}: GET {ready_path} answered {status}:\n{tail(logfile)}")
            time.sleep(0.2)
        log(f"gunicorn -c deploy/gunicorn.conf.py {app} on 127.0.0.1:{port} (log {logfile.name})")
        return port

    def stop(self, keep_temp: bool = False) -> None:
        for proc in self._gunicorns:
            _stop(proc)
        if self._redis is not None:
            self._redis.stop()
        if self._created_db:
            from tests import servers

            try:
                servers.drop_database(self.admin_url, self.db_name)
                log(f"dropped database {self.db_name}")
            except Exception as exc:  # noqa: BLE001 - said, not raised, at the end of a run
                log(f"WARNING: could not drop database {self.db_name}: {exc}")
        if keep_temp:
            log(f"kept {self.tmp} (gunicorn logs)")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _get_status(port: int, path: str) -> int | None:
    import http.client

    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError:
        return None


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(35)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# --- the client -------------------------------------------------------------------------------


class HttpError(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str, default: str = "") -> str:
        for key, value in self.headers:
            if key == name:
                return value
        return default

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location_path(self) -> str:
        return urllib.parse.urlsplit(self.header("location")).path


class Browser:
    """One browser tab: one keep-alive HTTP/1.1 connection, cookies, and, as browsers do, one
    retry of a request whose reused connection turned out to be closed by the server before
    any answer (gunicorn's keep-alive timeout, a worker replaced after max_requests)."""

    def __init__(self, port: int, local_address: str | None = None):
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.local_address = local_address
        self.cookies: dict[str, str] = {}
        self.retries = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._used = 0

    async def _connect(self) -> None:
        local = (self.local_address, 0) if self.local_address else None
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port, local_addr=local)
        self._used = 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Accept-Language: zh-CN,zh;q=0.9"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for key, value in (headers or {}).items():
            lines.append(f"{key}: {value}")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
        for attempt in (1, 2):
            if self._writer is None:
                await self._connect()
            reused = self._used > 0
            try:
                self._writer.write(raw)
                await self._writer.drain()
                status_line = await self._reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed before an answer")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if reused and attempt == 1:
                    self.retries += 1
                    continue
                raise
            break
        response = await self._read_rest(status_line)
        self._used += 1
        for key, value in response.headers:
            if key == "set-cookie":
                self._set_cookie(value)
        if response.header("connection").lower() == "close":
            self.close()
        return response

    async def _read_rest(self, status_line: bytes) -> Response:
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/"):
            self.close()
            raise HttpError(f"bad status line {status_line!r}")
        status = int(parts[1])
        headers = []
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _sep, value = line.decode("latin-1").partition(":")
            headers.append((key.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        if response.header("transfer-encoding").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self._reader.readline()).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await self._reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(await self._reader.readexactly(size + 2))
            response.body = b"".join(c[:-2] for c in chunks)
        elif response.header("content-length"):
            response.body = await self._reader.readexactly(int(response.header("content-length")))
        elif status >= 200 and status not in (204, 304):
            response.body = await self._reader.read()
            self.close()
        return response

    def _set_cookie(self, header: str) -> None:
        pair, *attributes = header.split(";")
        name, _sep, value = pair.strip().partition("=")
        attributes = {a.strip().lower() for a in attributes}
        if not value or "max-age=0" in attributes or any(a.startswith("expires=thu, 01 jan 1970") for a in attributes):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    async def get(self, path: str) -> Response:
        return await self.request("GET", path)

    async def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urllib.parse.urlencode(fields).encode()
        return await self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded", **self._origin(path)}
        )

    async def post_multipart(self, path: str, fields: list[tuple[str, str]], files: list[tuple]) -> Response:
        """files: (field name, file name, content type, bytes)."""
        boundary = "----intakeLoad" + os.urandom(8).hex()
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        for name, filename, content_type, data in files:
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n"
            )
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return await self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}", **self._origin(path)},
        )

    def _origin(self, path: str) -> dict[str, str]:
        return {"Origin": f"http://{self.host}", "Referer": f"http://{self.host}{path}"}
