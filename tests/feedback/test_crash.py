"""kill -9 of the web server while submissions are in flight: what was confirmed is stored once,
what was not is absent or whole. The app runs under gunicorn as in production."""

import hashlib
import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.feedback.models import EventKind, FeedbackItem
from intake.storage import path_for
from tests import servers
from tests.factories import PNG_1X1

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 6
LOAD_SECONDS = 1.2
MARKER = re.compile(r"崩溃测试 (t\d+-n\d+)：")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 surfaces as HTTPError: it is the answer we count


def _multipart(fields: dict, files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Reporter(threading.Thread):
    """One citizen's browser: its own session, submitting until the server goes away."""

    def __init__(self, base: str, number: int, stop: threading.Event, limit: int | None = None):
        super().__init__(daemon=True)
        self.base, self.number, self.stop, self.limit = base, number, stop, limit
        self.confirmed: list[str] = []  # markers answered with 303
        self.unanswered: list[str] = []  # markers whose answer never came
        self.failure: str | None = None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect
        )

    def run(self):
        try:
            page = self.opener.open(self.base + "/jiandu/", timeout=10).read().decode()
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        except Exception as exc:  # noqa: BLE001 - shown by the test when no load got through
            self.failure = repr(exc)
            return
        n = 0
        while not self.stop.is_set() and (self.limit is None or n < self.limit):
            marker = f"t{self.number}-n{n}"
            n += 1
            body, content_type = _multipart(
                {
                    "csrf_token": token,
                    "kind": "complaint",
                    "unit_id": "0",
                    "category_id": "0",
                    "body": f"崩溃测试 {marker}：便民窗口工作人员让群众来回跑了三次。",
                    "email": f"{marker}@example.cn",
                    "consent": "y",
                },
                [("attachments", "现场.png", PNG_1X1)],
            )
            request = urllib.request.Request(self.base + "/jiandu/", data=body, headers={"Content-Type": content_type})
            try:
                self.opener.open(request, timeout=10)
                self.unanswered.append(marker)  # 200 would be a validation error: not confirmed
                return
            except urllib.error.HTTPError as exc:
                if exc.code == 303:
                    self.confirmed.append(marker)
                    continue
                self.unanswered.append(marker)
                return
            except OSError:  # connection refused or reset: the server died under us
                self.unanswered.append(marker)
                return


def wait_until_serving(base: str, timeout: float = 30.0) -> None:
    """The port opens before the workers have imported the app; until then connections reset."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if urllib.request.urlopen(base + "/jiandu/", timeout=5).status == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture
def gunicorn(app, backend, database_urls, redis_url, tmp_path):
    port = servers.free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "INTAKE_CONFIG": "production",
        "SECRET_KEY": "crash-test-secret-" * 4,
        # What a production start requires (intake/ops/startup.py); no worker runs, no mail goes.
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SMTP_HOST": "127.0.0.1",
        "MAIL_FROM": "jiandu@example.gov.cn",
        "DATABASE_URL": database_urls[backend],
        "REDIS_URL": redis_url,
        "RQ_QUEUE": "intake-crash-test",
        "UPLOAD_DIR": app.config["UPLOAD_DIR"],
        # All the load comes from one address; the limit per client is tested in test_abuse.
        "SUBMIT_LIMIT": "1000000",
    }
    server = servers.Process(
        "gunicorn",
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--chdir",
            str(ROOT),
            "wsgi:app",
        ],
        port,
        tmp_path,
        env=env,
    )
    server.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        yield server, base
    finally:
        server.kill()  # a throwaway server: its graceful shutdown only costs seconds


def test_kill_9_during_submissions_leaves_no_duplicates_and_no_half_rows(app, gunicorn):
    server, base = gunicorn
    stop = threading.Event()
    reporters = [Reporter(base, n, stop) for n in range(CLIENTS)]
    for r in reporters:
        r.start()
    time.sleep(LOAD_SECONDS)
    server.kill()  # SIGKILL to gunicorn's whole process group, mid-request
    stop.set()
    for r in reporters:
        r.join(15)
    confirmed = [m for r in reporters for m in r.confirmed]
    unanswered = [m for r in reporters for m in r.unanswered]
    assert len(confirmed) >= CLIENTS, ("too little load reached the server", [r.failure for r in reporters])

    server.start()  # the same command on the same port, as a supervisor would
    wait_until_serving(base)

    with app.app_context():
        items = db.session.scalars(select(FeedbackItem)).all()
        markers = [MARKER.search(item.body).group(1) for item in items]
        assert len(markers) == len(set(markers)), "an item exists twice"
        assert set(confirmed) <= set(markers), "a confirmed submission is missing"
        assert set(markers) <= set(confirmed) | set(unanswered)
        numbers = [item.number for item in items]
        assert len(numbers) == len(set(numbers))
        for item in items:  # every stored item is whole: event, reporter, file on disk
            assert [e.kind for e in item.events] == [EventKind.created], item.tracking_code
            assert item.reporter.email.endswith("@example.cn")
            [attachment] = item.attachments
            stored = path_for(attachment.stored_name).read_bytes()
            assert hashlib.sha256(stored).hexdigest() == attachment.sha256 == hashlib.sha256(PNG_1X1).hexdigest()
        counter_value = db.session.scalar(select(func.max(FeedbackItem.number)))

    # After the restart numbering goes on without reusing a confirmed number.
    fresh = Reporter(base, 100, threading.Event(), limit=2)
    fresh.run()
    assert fresh.confirmed == ["t100-n0", "t100-n1"], fresh.failure
    with app.app_context():
        new_numbers = db.session.scalars(
            select(FeedbackItem.number).where(FeedbackItem.body.like("崩溃测试 t100-%"))
        ).all()
        assert min(new_numbers) > counter_value
