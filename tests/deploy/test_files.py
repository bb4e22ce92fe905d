"""deploy/ as an operator copies it: systemd accepts the units, nginx the site, gunicorn the
configuration, and the example environment names every setting of the README."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.deploy import rig
from tests.servers import free_port


def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` loads each unit as systemd would (unknown keys, bad values,
    commands that do not exist) without a running systemd; it warns on stderr with exit 0, so
    any line on stderr fails the test."""
    analyze = rig.need("systemd-analyze", "systemd")
    units = rig.systemd_units(tmp_path / "units")
    names = {u.name for u in units}
    assert {
        "intake-web.service",
        "intake-worker@.service",
        "intake-watcher.service",
        "intake-periodic.service",
    } <= names
    # A template is verified through an instance of it.
    targets = [str(u.parent / u.name.replace("@.", "@1.")) for u in units]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *targets], cwd=tmp_path / "units", capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr.strip() == "", f"systemd-analyze verify:\n{result.stderr}"
    for unit in units:
        if unit.suffix == ".service":
            text = unit.read_text()
            for needed in ("Restart=on-failure", "EnvironmentFile=/etc/intake/intake.env", "User=intake",
                           "NoNewPrivileges=yes", "ProtectSystem=full", "PrivateTmp=yes"):  # fmt: skip
                assert needed in text, f"{unit.name} lacks {needed}"


def test_the_units_stay_hardened(tmp_path):
    """systemd's own exposure score of each service, offline: at most 4.0 ("OK"). Dropping a
    hardening option (NoNewPrivileges, ProtectSystem, PrivateTmp, ...) raises it past that."""
    analyze = rig.need("systemd-analyze", "systemd")
    units = [u for u in rig.systemd_units(tmp_path) if u.suffix == ".service"]
    for unit in units:
        target = str(unit.parent / unit.name.replace("@.", "@1."))
        result = subprocess.run(
            [analyze, "security", "--offline=true", "--threshold=40", "--no-pager", target],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
        assert result.returncode == 0, f"{unit.name}: {summary}\n{result.stderr}"


def test_systemd_verify_can_fail(tmp_path):
    """The check above would see a mistake: a misspelt key is reported on stderr."""
    analyze = rig.need("systemd-analyze", "systemd")
    [web] = [u for u in rig.systemd_units(tmp_path) if u.name == "intake-web.service"]
    web.write_text(web.read_text().replace("RestartSec=5", "RestartSecs=5"))
    result = subprocess.run([analyze, "verify", "--man=no", str(web)], cwd=tmp_path, capture_output=True, text=True)
    assert "RestartSecs" in result.stderr
    # ... and the exposure score sees hardening removed.
    web.write_text(
        "\n".join(
            line for line in web.read_text().splitlines() if not line.startswith(("Protect", "Private", "Restrict"))
        )
    )
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=40", "--no-pager", str(web)],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode != 0


def test_nginx_accepts_the_site(tmp_path):
    nginx = rig.need("nginx", "nginx")
    conf = rig.nginx_prefix(tmp_path, http_port=free_port(), https_port=free_port(), socket=tmp_path / "web.sock")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_upload_limit_of_nginx_matches_the_app():
    from config import Config

    site = (rig.DEPLOY / "nginx" / "intake.conf").read_text()
    [limit] = re.findall(r"client_max_body_size (\d+)m;", site)
    assert int(limit) * 1024 * 1024 == Config().MAX_CONTENT_LENGTH


def test_the_example_environment_names_every_setting_of_the_readme():
    readme = (rig.ROOT / "README.md").read_text()
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for row in table.splitlines():
        if row.startswith("| `"):
            documented.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    # make run's and the test suite's own settings are not production settings.
    documented -= {"HOST", "INTAKE_PORT", "TEST_DATABASE_URL", "BENCH_ENDPOINTS"}
    example = (rig.DEPLOY / "intake.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", example, re.MULTILINE))
    assert sorted(documented - named) == []


def test_gunicorn_refuses_to_start_before_forking_workers(tmp_path):
    """The check runs once in gunicorn's master (on_starting): a wrong setting stops it with one
    line and exit 78 instead of workers dying and being respawned in a loop."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "PUBLIC_BASE_URL", "SMTP_"))}
    env.update(
        INTAKE_CONFIG="production",
        PUBLIC_BASE_URL="https://jiandu.example.gov.cn",
        SMTP_HOST="127.0.0.1",
        MAIL_FROM="jiandu@example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"unix:{tmp_path / 'web.sock'}",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    result = subprocess.run(
        [gunicorn, "-c", str(rig.DEPLOY / "gunicorn.conf.py"), "wsgi:app"],
        cwd=rig.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 78, result.stderr[-2000:]
    problems = [line for line in result.stderr.splitlines() if line.startswith("intake: configuration:")]
    assert len(problems) == 1 and "SECRET_KEY is not set" in problems[0]
    assert "Booting worker" not in result.stderr
