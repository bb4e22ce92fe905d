"""A production run refuses to start without the settings it cannot do without, naming each."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from intake import create_app
from tests import servers

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SECRET_KEY": "k" * 64,
    "PUBLIC_BASE_URL": "https://jiandu.example.gov.cn",
    "SMTP_HOST": "smtp.example.gov.cn",
    "MAIL_FROM": "政协民主监督邮箱 <jiandu@example.gov.cn>",
}


def _start(tmp_path, **settings):
    values = {**GOOD, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}", "UPLOAD_DIR": str(tmp_path)}
    values.update(settings)
    return create_app("production", **values)


def test_production_starts_with_every_setting(tmp_path):
    app = _start(tmp_path)
    assert app.config["SECRET_KEY"] == GOOD["SECRET_KEY"]
    assert app.config["LOG_FORMAT"] == "json"  # production's default


@pytest.mark.parametrize(
    ("setting", "value", "named"),
    [
        ("SECRET_KEY", None, "SECRET_KEY is not set"),
        ("SECRET_KEY", "short", "SECRET_KEY is shorter"),
        ("PUBLIC_BASE_URL", "", "PUBLIC_BASE_URL is not set"),
        ("PUBLIC_BASE_URL", "jiandu.example.gov.cn", "PUBLIC_BASE_URL is not an http(s) URL"),
        ("SMTP_HOST", "", "SMTP_HOST is not set"),
        ("MAIL_FROM", "jiandu@localhost", "MAIL_FROM"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be json or text"),
    ],
)
def test_each_missing_setting_is_named_and_start_refused(tmp_path, capsys, setting, value, named):
    with pytest.raises(SystemExit) as stopped:
        _start(tmp_path, **{setting: value})
    assert stopped.value.code == 78
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("intake: configuration: ") and named in lines[0]


def test_an_unreachable_database_is_named_without_its_password(tmp_path, capsys):
    url = f"postgresql+psycopg://intake:s3cret-pw@127.0.0.1:{servers.free_port()}/intake"
    with pytest.raises(SystemExit) as stopped:
        _start(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    assert stopped.value.code == 69  # may come back: systemd restarts on it
    err = capsys.readouterr().err
    assert "DATABASE_URL: the database at postgresql+psycopg://intake:***@127.0.0.1" in err
    assert "s3cret-pw" not in err


def test_the_flask_command_refuses_with_one_line_per_problem(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "PUBLIC_BASE_URL", "SMTP_"))}
    env.update(INTAKE_CONFIG="production", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", MAIL_FROM="a@b.example")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 78, result.stderr
    problems = [line for line in result.stderr.splitlines() if line.startswith("intake: configuration: ")]
    assert [p.split(": ")[2].split(" ")[0] for p in problems] == ["SECRET_KEY", "PUBLIC_BASE_URL", "SMTP_HOST"]


def test_development_and_test_keep_their_fallbacks(tmp_path):
    app = create_app("test", UPLOAD_DIR=str(tmp_path))
    assert app.config["SECRET_KEY"] and app.config["PUBLIC_BASE_URL"]


def test_a_web_worker_compiles_every_template_before_its_first_request(tmp_path):
    """gunicorn's post_worker_init (deploy/gunicorn.conf.py) compiles every page template, so
    the first requests after a start or a max_requests restart do not each wait for one."""
    import importlib.util
    from types import SimpleNamespace
    from unittest import mock

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "deploy" / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ):  # the file sets PROMETHEUS_MULTIPROC_DIR for gunicorn
        spec.loader.exec_module(conf)
    app = _start(tmp_path)
    on_disk = {
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*")
        if path.suffix in (".html", ".txt")
    }
    assert len(on_disk) > 50
    assert not app.jinja_env.cache
    conf.post_worker_init(SimpleNamespace(wsgi=app))
    compiled = {template.name for template in app.jinja_env.cache.values()}
    assert compiled == on_disk
