"""Log lines: one JSON object each, with the request id (the proxy's, or made here, and echoed),
the route's pattern instead of the path, and never a query string, token or address."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake.ops import logs

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def json_lines():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("intake")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(old_level)


def test_a_request_logs_one_json_line_with_its_request_id_and_no_secrets(client, json_lines):
    token = "Zx9-secret-one-time-token"
    response = client.get(
        f"/jiandu/link/{token}?s=lookup-secret-777",
        headers={"X-Request-ID": "nginx-req-0123456789", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.headers["X-Request-ID"] == "nginx-req-0123456789"
    [line] = [entry for entry in json_lines() if entry["logger"] == "intake.access"]
    assert line["request_id"] == "nginx-req-0123456789"
    assert line["route"] == "/jiandu/link/<token>"
    assert line["method"] == "GET" and line["status"] == response.status_code
    raw = json.dumps(line)
    for secret in (token, "lookup-secret-777", "203.0.113.9", "127.0.0.1"):
        assert secret not in raw


def test_a_request_id_is_made_when_none_or_a_strange_one_is_offered(client, json_lines):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    replaced = client.get("/healthz", headers={"X-Request-ID": 'x"; rm -rf /'}).headers["X-Request-ID"]
    assert replaced != 'x"; rm -rf /' and len(replaced) == 32
    assert [e["request_id"] for e in json_lines() if e["logger"] == "intake.access"] == [made, replaced]


def test_a_line_logged_inside_a_request_carries_its_id(app, json_lines):
    with app.test_request_context("/", headers={"X-Request-ID": "abcdef012345"}):
        app.preprocess_request()
        logging.getLogger("intake.test").warning("something %s", "happened")
    [line] = [e for e in json_lines() if e["logger"] == "intake.test"]
    assert line == {**line, "level": "WARNING", "msg": "something happened", "request_id": "abcdef012345"}


def test_a_wrong_log_format_is_refused(app):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.formatter("xml")


def test_addresses_and_mobile_numbers_that_reach_a_message_are_blanked(backend, json_lines):
    logging.getLogger("intake.test").warning("parse failed: bad header From: 张三 <zhang.san@example.cn> 13812345678")
    [line] = [e for e in json_lines() if e["logger"] == "intake.test"]
    assert line["msg"] == "parse failed: bad header From: 张三 <<email>> <phone>"


def test_a_migration_logs_json_lines_like_the_app(backend, tmp_path):
    """`flask db upgrade` where the logs are JSON: Alembic's lines come as JSON too (it used to
    put its own text handler on the root logger, mixing formats in the journal)."""
    env = {
        **os.environ,
        "INTAKE_CONFIG": "development",
        "LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    flask = str(Path(sys.executable).with_name("flask"))
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [flask, "--app", "wsgi", "db", "upgrade"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    assert any(line["logger"].startswith("alembic") and "Running upgrade" in line["msg"] for line in lines)
