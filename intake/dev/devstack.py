"""`make run`: bring the whole service up on a local machine and keep it in the foreground.

Prepares the database (migrate, seed, a demo staff account), makes sure a Redis answers
(the configured one, or a private redis-server), starts a demo mailbox when no IMAP_HOST is set
(a private Dovecot with sample mail, intake/dev/demo_mailbox.py), then runs the Procfile with
honcho. Ctrl-C, SIGTERM or SIGHUP stops everything it started, the demo Dovecot included."""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
INSTANCE = ROOT / "instance"
VENV_BIN = Path(sys.executable).parent
DEMO_USER = "demo"
DEMO_MAILBOX_DIR = INSTANCE / "demo-mailbox"


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def flask(*args: str, env: dict) -> None:
    subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, check=True)


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis(env: dict) -> subprocess.Popen | None:
    """Use REDIS_URL when it answers; otherwise start a private redis-server on its port."""
    url = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if redis_answers(url):
        say(f"Redis answers at {url}")
        return None
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if host not in ("127.0.0.1", "localhost"):
        sys.exit(f"[make run] Redis at {url} does not answer; start it or unset REDIS_URL")
    binary = shutil.which("redis-server")
    if binary is None:
        if os.geteuid() == 0:
            say("installing Debian's redis-server package")
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "redis-server"],
                check=True,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
            binary = shutil.which("redis-server")
        if binary is None:
            sys.exit(
                "[make run] no Redis: install it with `sudo apt-get install redis-server` "
                "or set REDIS_URL to a running one"
            )
    data_dir = INSTANCE / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    say(f"starting a private redis-server on {host}:{port} (data in {data_dir})")
    proc = subprocess.Popen(
        [binary, "--bind", host, "--port", str(port), "--dir", str(data_dir), "--appendonly", "yes", "--save", "60 1"],
        stdout=open(data_dir / "redis.log", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(100):
        if redis_answers(url):
            return proc
        time.sleep(0.1)
    proc.terminate()
    sys.exit(f"[make run] redis-server did not start; see {data_dir / 'redis.log'}")


def demo_password() -> str:
    path = INSTANCE / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(9))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_database(env: dict) -> str:
    say("migrating the database")
    flask("db", "upgrade", "--directory", str(ROOT / "migrations"), env=env)
    flask("intake", "seed", env=env)
    password = demo_password()
    flask(
        "intake",
        "create-user",
        DEMO_USER,
        "--role",
        "admin",
        "--name",
        "演示管理员",
        "--password",
        password,
        "--if-missing",
        env=env,
    )
    # The coming year's lottery, committed and drawn at its mobilisation meeting, then plans, a
    # group and a meeting on its drawn units (idempotent).
    next_year = str(datetime.now().year + 1)
    flask("intake", "demo-program", "--password", password, "--lottery", next_year, env=env)
    # A member's 暗访 visit to the first drawn unit, its finding an item (intake/visits/demo.py).
    flask("intake", "demo-visits", env=env)
    # A questionnaire on the first drawn unit, with its QR poster and a few dozen answers.
    flask("intake", "demo-surveys", env=env)
    # A counted secret ballot on those units, opinions handed over and a notice issued.
    flask("intake", "demo-appraisal", "--password", password, env=env)
    return password


def start_demo_mailbox(env: dict, started: list[subprocess.Popen]) -> str:
    """Without IMAP_HOST: a private Dovecot for the watcher, with sample mail on its first start.
    Sets the IMAP_* settings in `env`; returns the lines to print about it."""
    from intake.dev import demo_mailbox

    if env.get("IMAP_HOST"):
        return f"  Mailbox watched:        {env.get('IMAP_USER', '')}@{env['IMAP_HOST']} (IMAP_HOST)\n"
    try:
        proc, box = demo_mailbox.start(DEMO_MAILBOX_DIR, install=True)
    except demo_mailbox.DemoMailboxUnavailable as exc:
        say(f"no demo mailbox: {exc}")
        return "  Mailbox:                none (the watcher waits idle; see above)\n"
    started.append(proc)
    env.update(box.env())
    seeded = demo_mailbox.seed(box, DEMO_MAILBOX_DIR)
    if seeded:
        say(f"put {seeded} sample messages into the demo mailbox; a sample reply follows once the first is an item")
        log = open(DEMO_MAILBOX_DIR / "sample-reply.log", "ab")
        started.append(
            subprocess.Popen(
                [str(VENV_BIN / "flask"), "--app", "wsgi", "intake", "demo-mail", "--sample-reply"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return (
        f"  Demo mailbox (民主监督邮箱): IMAP {box.host}:{box.port}, no TLS\n"
        f"      username: {box.user}\n"
        f"      password: {box.password}   (kept in instance/demo-mailbox/password)\n"
        f'  Send it a mail:         {VENV_BIN / "flask"} --app wsgi intake demo-mail "主题" "正文"\n'
        f"      (or APPEND to its INBOX with any mail client using the login above)\n"
    )


@contextlib.contextmanager
def supervised():
    """The processes started inside are stopped on the way out, however it is left: Ctrl-C,
    an error, or SIGTERM/SIGHUP (`kill`, make stopped by its own SIGTERM, the terminal
    closed), which would otherwise end this process at once and leave the others running
    (the demo Dovecot runs in its own session: no terminal signal reaches it)."""

    def leave(signum, _frame):
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, leave)
    started: list[subprocess.Popen] = []
    try:
        yield started
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the cleanup short
        for proc in reversed(started):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> int:
    INSTANCE.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("FLASK_APP", "wsgi")
    with supervised() as started:
        redis_proc = ensure_redis(env)
        if redis_proc:
            started.append(redis_proc)
        password = prepare_database(env)
        mailbox_lines = start_demo_mailbox(env, started)
        host = env.get("HOST", "127.0.0.1")
        port = env.get("INTAKE_PORT", "5000")
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        if port_answers(shown, int(port)):
            sys.exit(f"[make run] port {port} is taken; set INTAKE_PORT to another port")
        base = f"http://{shown}:{port}"
        print(
            "\n"
            f"  intake is starting.\n"
            f"  Public form (民主监督):   {base}/jiandu/\n"
            f"  Check progress:         {base}/jiandu/track\n"
            f"  Staff sign-in:          {base}/auth/login\n"
            f"      username: {DEMO_USER}\n"
            f"      password: {password}   (kept in instance/demo-password)\n"
            f"      a member: weiyuan, a unit liaison: lianluo (same password)\n"
            f"{mailbox_lines}"
            f"  Press Ctrl-C to stop everything.\n",
            flush=True,
        )
        honcho = subprocess.Popen([str(VENV_BIN / "honcho"), "start", "-f", str(ROOT / "Procfile")], cwd=ROOT, env=env)
        started.append(honcho)
        try:
            return honcho.wait()
        except KeyboardInterrupt:
            # The terminal sent SIGINT to honcho too; give it time to stop its children.
            return honcho.wait()


if __name__ == "__main__":
    sys.exit(main())
