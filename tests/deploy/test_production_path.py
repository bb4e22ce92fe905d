"""The README's production path brought up for real: PostgreSQL migrated with `flask db
upgrade`, gunicorn with deploy/gunicorn.conf.py behind nginx with deploy/nginx/intake.conf and a
self-signed certificate, Redis, the rq worker and the mailbox watcher as processes (on a private
Dovecot), all with INTAKE_CONFIG=production; then /readyz must be green over HTTPS, and the mail
waiting in the mailbox must have gone through the watcher and the worker to a receipt handed
to the SMTP server."""

import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from tests import servers
from tests.conftest import CapturedMail
from tests.deploy import rig

BIN = Path(sys.executable).parent
REPORT = (
    "From: 王五 <reporter@example.cn>\r\nTo: jiandu@example.gov.cn\r\nSubject: 路灯不亮\r\n"
    "Message-ID: <deploy-test-1@example.cn>\r\nDate: Mon, 7 Dec 2026 08:00:00 +0800\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "东街的路灯坏了三天，晚上很黑。\r\n"
).encode()
DEADLINE_SECONDS = 25  # a bound on failure, not a wait: the test goes on as soon as it is green


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, tls: ssl.SSLContext, headers: dict | None = None):
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=tls), NoRedirect)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers or {}), timeout=10)
    except urllib.error.HTTPError as error:
        response = error
    return response.status, response.headers, response.read()


class Processes:
    def __init__(self, workdir: Path):
        self.workdir, self.running = workdir, {}

    def start(self, name: str, argv: list[str], env: dict) -> None:
        log = open(self.workdir / f"{name}.log", "ab")
        self.running[name] = subprocess.Popen(
            argv, cwd=rig.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def check_alive(self) -> None:
        for name, proc in self.running.items():
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{self.log(name)[-3000:]}", pytrace=False)

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.running.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def room():
    """A directory of its own, not pytest's tmp_path: another pytest session on this machine may
    prune pytest's old base directories while Dovecot still reads its users file from here."""
    path = servers.tempdir("intake-deploy-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def mailbox(room):
    tmp_path = room
    (tmp_path / "dovecot").mkdir()
    password = "imap-pw-for-the-watcher"
    with open(tmp_path / "dovecot" / "users", "w") as f:
        f.write(f"jiandu:{{PLAIN}}{password}:8:8::{tmp_path / 'dovecot' / 'mail' / 'jiandu'}::\n")
    try:
        server = servers.start_dovecot(tmp_path / "dovecot")
    except servers.ServerUnavailable as exc:
        servers.fail("dovecot", str(exc))
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=10)
    client.login("jiandu", password)
    client.append("INBOX", REPORT)
    client.logout()
    yield {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": str(server.port), "IMAP_SSL": "false",
           "IMAP_USER": "jiandu", "IMAP_PASSWORD": password}  # fmt: skip
    server.stop()


@pytest.fixture
def smtp():
    """The county's mail server: a real SMTP receiver the worker hands the receipt to."""
    handler = CapturedMail()
    controller = Controller(handler, hostname="127.0.0.1", port=servers.free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


@pytest.fixture
def database(postgres_admin_url):
    name = f"intake_deploy_{os.getpid()}"
    url = servers.create_database(postgres_admin_url, name)
    yield url
    servers.drop_database(postgres_admin_url, name)


def test_readyz_is_green_over_https_behind_nginx(room, database, redis_url, mailbox, smtp):
    tmp_path = room
    nginx = rig.need("nginx", "nginx")
    http_port, https_port = servers.free_port(), servers.free_port()
    socket = tmp_path / "web.sock"
    conf = rig.nginx_prefix(tmp_path / "nginx", http_port=http_port, https_port=https_port, socket=socket)
    tls = ssl.create_default_context(cafile=str(tmp_path / "nginx" / "tls" / "fullchain.pem"))
    base = f"https://localhost:{https_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "IMAP_", "SECRET_KEY", "LOG_"))}
    env.update(
        mailbox,
        PATH=f"{BIN}:{env['PATH']}",
        INTAKE_CONFIG="production",
        SECRET_KEY="d" * 64,
        PUBLIC_BASE_URL=base,
        DATABASE_URL=database,
        REDIS_URL=redis_url.rsplit("/", 1)[0] + "/7",
        RQ_QUEUE="intake-deploy",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp[1]),
        MAIL_FROM="政协民主监督邮箱 <jiandu@example.gov.cn>",
        UPLOAD_DIR=str(tmp_path / "uploads"),
        PROXY_HOPS="1",
        GUNICORN_BIND=f"unix:{socket}",
        WEB_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        METRICS_TOKEN="scrape-token",
        IMAP_POLL_SECONDS="5",
    )
    migrated = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"], cwd=rig.ROOT, env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    processes = Processes(tmp_path)
    try:
        processes.start(
            "gunicorn", [str(BIN / "gunicorn"), "-c", str(rig.DEPLOY / "gunicorn.conf.py"), "wsgi:app"], env
        )
        processes.start("worker", [str(BIN / "flask"), "--app", "wsgi", "intake", "worker"], env)
        processes.start("watcher", [str(BIN / "flask"), "--app", "wsgi", "intake", "watch"], env)
        processes.start("nginx", [nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf), "-g", "daemon off;"], env)

        body, deadline = None, time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            processes.check_alive()
            try:
                status, headers, raw = fetch(f"{base}/readyz", tls)
            except (urllib.error.URLError, ConnectionError):
                status = None
            if status in (200, 503):
                body = json.loads(raw)
                polled = body["checks"]["mailboxes"]["mailboxes"].get("default", {}).get("last_poll_at")
                # Green, the mailbox read, and the mail in it gone through the worker: its
                # receipt handed to the SMTP server.
                if status == 200 and polled and smtp[0].messages:
                    break
            time.sleep(0.1)
        else:
            pytest.fail(
                f"/readyz not green in {DEADLINE_SECONDS}s: {body}\n{processes.log('gunicorn')[-2000:]}"
                f"\n{processes.log('watcher')[-2000:]}\n{(room / 'dovecot' / 'dovecot.log').read_text()[-1000:]}",
                pytrace=False,
            )
        assert body["status"] == "ok", body
        assert {c["status"] for c in body["checks"].values()} == {"ok"}
        request_id = headers["X-Request-ID"]
        assert len(request_id) == 32  # nginx's $request_id, passed to the app and echoed

        # A page over HTTPS: its cookie Secure (the scheme nginx reported), HSTS sent.
        status, headers, _ = fetch(f"{base}/auth/login", tls)
        assert status == 200
        assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        # Plain HTTP is sent to HTTPS; static files come from nginx.
        status, headers, _ = fetch(f"http://localhost:{http_port}/jiandu/?x=1", tls)
        assert (status, headers["Location"]) == (301, "https://localhost/jiandu/?x=1")
        status, headers, _ = fetch(f"{base}/static/app.css", tls)
        assert status == 200 and "public" in headers.get_all("Cache-Control") and "Set-Cookie" not in headers
        # Metrics with the token, summed over gunicorn's two processes.
        status, _, raw = fetch(f"{base}/metrics", tls, {"Authorization": "Bearer scrape-token"})
        text = raw.decode()
        assert status == 200 and 'intake_dependency_up{dependency="redis"} 1.0' in text
        assert 'intake_items{source="email"} 1.0' in text and 'intake_mails{state="parsed"} 1.0' in text
        assert smtp[0].messages[0].rcpt_tos == ["reporter@example.cn"]
        # Multiprocess mode: the /readyz requests of both gunicorn processes, counted together.
        counts = re.findall(
            r'intake_http_request_duration_seconds_count\{method="GET",route="/readyz",[^}]*\} (\S+)', text
        )
        assert counts and sum(map(float, counts)) >= 1

        # gunicorn's log: JSON lines only, the request's id in its access line, no query string.
        lines = [json.loads(line) for line in processes.log("gunicorn").splitlines() if line.strip()]
        assert any(e.get("request_id") == request_id and e.get("route") == "/readyz" for e in lines)
        assert "x=1" not in processes.log("gunicorn")
    finally:
        processes.stop_all()
