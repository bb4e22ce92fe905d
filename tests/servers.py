"""Real servers for the test suite: started privately on free loopback ports, or reused when
the environment names one. A server that cannot be had fails the tests with the reason."""

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from intake.dev.demo_mailbox import dovecot_conf


class ServerUnavailable(RuntimeError):
    pass


def fail(server: str, why: str) -> None:
    pytest.fail(f"[{server}] {why}", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class Process:
    """A server we started: knows how to stop, kill and start itself again."""

    name: str
    argv: list[str]
    port: int
    workdir: Path
    env: dict | None = None
    user: str | None = None
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, timeout: float = 20.0) -> None:
        log = open(self.workdir / f"{self.name}.log", "ab")
        argv = self.argv
        if self.user and os.geteuid() == 0:
            argv = ["runuser", "-u", self.user, "--"] + argv
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        if not wait_for_port(self.port, timeout):
            self.stop()
            tail = (self.workdir / f"{self.name}.log").read_text(errors="replace")[-2000:]
            raise ServerUnavailable(f"{self.name} did not listen on port {self.port}: {tail}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def start_redis(workdir: Path) -> Process:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerUnavailable("redis-server is not installed (apt-get install redis-server; `make test` does this)")
    port = free_port()
    server = Process(
        "redis",
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        port,
        workdir,
    )
    server.start()
    return server


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def start_private_postgres(workdir: Path) -> tuple[Process, str]:
    """A throwaway PostgreSQL cluster with trust auth, for machines without a running one."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres:
        raise ServerUnavailable(
            "PostgreSQL server binaries not found (apt-get install postgresql; `make test` does this)"
        )
    datadir = workdir / "pgdata"
    user = "postgres" if os.geteuid() == 0 else None
    if user:
        shutil.chown(workdir, user)
    cmd = [initdb, "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ServerUnavailable(f"initdb failed: {result.stderr[-2000:]}")
    port = free_port()
    server = Process(
        "postgres",
        [
            postgres,
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={workdir}",
            "-c",
            "fsync=off",
        ],
        port,
        workdir,
        user=user,
    )
    server.start()
    return server, f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def postgres_answers(url: str) -> bool:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        return True
    except sqlalchemy.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def create_database(admin_url: str, name: str) -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sqlalchemy.text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    engine.dispose()
    return sqlalchemy.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextlib.contextmanager
def fresh_database(backend: str, admin_url: str, tmp_path: Path, name: str):
    """The URL of a new, empty database: a SQLite file under tmp_path, or a PostgreSQL
    database made for the test and dropped after it."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        return
    name = f"{name}_{os.getpid()}"
    try:
        yield create_database(admin_url, name)
    finally:
        drop_database(admin_url, name)


def tempdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


@dataclass
class Dovecot(Process):
    """A private Dovecot IMAP server: passwd-file users, Maildir under its work dir."""

    users_file: Path | None = None
    mail_root: Path | None = None

    def add_user(self, name: str, password: str) -> None:
        # Dovecot re-reads the passwd-file when it changes, so users can be added while it runs.
        with open(self.users_file, "a") as f:
            f.write(f"{name}:{{PLAIN}}{password}:8:8::{self.mail_root / name}::\n")


def start_dovecot(workdir: Path) -> Dovecot:
    """Dovecot on a free loopback port with a generated config, in the foreground (-F)."""
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None:
        raise ServerUnavailable("dovecot is not installed (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        raise ServerUnavailable("the Dovecot rig runs as root (it switches to the `mail` user)")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # Dovecot's auth and mail processes run as other users: they need to traverse to their
    # files (mkdtemp makes 0700 directories).
    tmp_root = Path(tempfile.gettempdir()).resolve()
    for directory in [workdir.resolve(), *workdir.resolve().parents]:
        if directory == tmp_root or tmp_root not in directory.parents:
            break
        directory.chmod(directory.stat().st_mode | 0o011)
    for sub in ("run", "state", "mail"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    shutil.chown(workdir / "mail", "mail", "mail")
    users = workdir / "users"
    users.touch()
    port = free_port()
    conf = workdir / "dovecot.conf"
    # The same config as `make run`'s demo mailbox; tests need no fsync of mail files.
    conf.write_text(dovecot_conf(binary, workdir, port, "mail", extra="mail_fsync = never\n"))
    server = Dovecot(
        "dovecot", [binary, "-F", "-c", str(conf)], port, workdir, users_file=users, mail_root=workdir / "mail"
    )
    server.start()
    return server
