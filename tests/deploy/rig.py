"""The files of deploy/ made runnable in a temporary prefix: the nginx site on loopback ports
with a self-signed certificate, the systemd units pointing at this checkout. Every replaced
string must be in the file, so a change to deploy/ that the tests no longer cover fails."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def need(binary: str, package: str) -> str:
    found = shutil.which(binary) or next(
        (p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None
    )
    if found is None:
        pytest.fail(f"[{binary}] not installed: apt-get install {package} (`make test` does this)", pytrace=False)
    return found


def replaced(text: str, replacements: dict[str, str], name: str) -> str:
    for old, new in replacements.items():
        assert old in text, f"{name} no longer contains {old!r}: update tests/deploy/rig.py"
        text = text.replace(old, new)
    return text


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """The README's command for trying it out: a certificate for localhost and 127.0.0.1."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        [
            need("openssl", "openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "30", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def nginx_prefix(prefix: Path, *, http_port: int, https_port: int, socket: Path) -> Path:
    """deploy/nginx/intake.conf inside a main config of its own under `prefix`; returns it."""
    prefix.mkdir(parents=True, exist_ok=True)
    cert, _key = self_signed_certificate(prefix / "tls")
    site = replaced(
        (DEPLOY / "nginx" / "intake.conf").read_text(),
        {
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "/etc/ssl/intake/": f"{cert.parent}/",
            "unix:/run/intake/web.sock": f"unix:{socket}",
            "/opt/intake/": f"{ROOT}/",
            "/var/log/nginx/": f"{prefix}/",
            "/var/www/letsencrypt": f"{prefix}/acme",
        },
        "deploy/nginx/intake.conf",
    )
    (prefix / "site.conf").write_text(site)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Root's nginx would run its workers as nobody, who cannot enter the 0700 temp directories.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    access_log off;\n{temp_paths}\n"
        f"    include {prefix}/site.conf;\n}}\n"
    )
    return prefix / "nginx.conf"


def systemd_units(directory: Path) -> list[Path]:
    """The units with /opt/intake replaced by this checkout, so their commands exist."""
    directory.mkdir(parents=True, exist_ok=True)
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        text = unit.read_text()
        if unit.suffix == ".service":
            text = replaced(text, {"/opt/intake": str(ROOT)}, f"deploy/systemd/{unit.name}")
        (directory / unit.name).write_text(text)
        units.append(directory / unit.name)
    return units
