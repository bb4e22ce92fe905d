"""The demo mailbox of `make run` when no IMAP_HOST is set: a private Dovecot (Debian's
dovecot-imapd) on a free loopback port, configured under instance/demo-mailbox/, holding a few
sample messages from its first start, so mail can be seen arriving in the staff queue.

Dovecot's auth and mail processes run as other users (dovecot, mail), which must be able to
enter every directory above the mailbox's files. A checkout under a directory only its owner
may enter (/root is 0700 on Debian) gets its demo mailbox under RELOCATED_ROOT instead, with
instance/demo-mailbox a link to it."""

import base64
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent / "demo_mail"
USER = "jiandu"
RELOCATED_ROOT = Path("/var/lib/intake-demo-mailbox")
# The sample the reply (04_reply_by_tracking_code.eml.in) answers.
FIRST_SAMPLE_MESSAGE_ID = "demo-1-window@example.cn"

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
ssl = no
{cleartext}
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {dir}/users
}}
mail_location = maildir:{dir}/mail/%u
mail_uid = {mail_user}
mail_gid = {mail_user}
first_valid_uid = 1
first_valid_gid = 1
default_internal_user = {internal_user}
default_login_user = {login_user}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class DemoMailboxUnavailable(RuntimeError):
    """Dovecot is missing or cannot run here; the message says what to do."""


@dataclass
class DemoMailbox:
    host: str
    port: int
    user: str
    password: str

    def env(self) -> dict[str, str]:
        """The IMAP_* settings that point the app's default mailbox here."""
        return {
            "IMAP_HOST": self.host,
            "IMAP_PORT": str(self.port),
            "IMAP_SSL": "0",
            "IMAP_STARTTLS": "0",
            "IMAP_USER": self.user,
            "IMAP_PASSWORD": self.password,
            "IMAP_FOLDER": "INBOX",
        }

    @classmethod
    def load(cls, directory: Path) -> "DemoMailbox":
        """The demo mailbox `make run` started (for `intake demo-mail`)."""
        path = directory / "imap.json"
        if not path.exists():
            raise DemoMailboxUnavailable(f"no demo mailbox at {directory}: start `make run` without IMAP_HOST first")
        return cls(**json.loads(path.read_text()))


def dovecot_binary(*, install: bool) -> str:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)
    if binary is None and install and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if binary is None or not os.path.exists(binary):
        raise DemoMailboxUnavailable(
            "Dovecot is not installed: `sudo apt-get install dovecot-imapd` (or set IMAP_HOST to a real mailbox)"
        )
    if os.geteuid() != 0:
        # Dovecot's master runs as root and hands mail to an unprivileged user.
        raise DemoMailboxUnavailable(
            "the demo mailbox needs root (Dovecot switches to the `mail` user); "
            "run `make run` as root or set IMAP_HOST to a real mailbox"
        )
    return binary


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_or(name: str, fallback: str) -> str:
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        return fallback


def _dovecot_version(binary: str) -> tuple[int, int]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    major, minor = (out.split() or ["2.3"])[0].split(".")[:2]
    return int(major), int(minor)


def dovecot_conf(binary: str, directory: Path, port: int, mail_user: str, *, extra: str = "") -> str:
    """A Dovecot config for a private server: loopback only, no TLS, passwd-file users and
    Maildir under `directory`. The test rig uses it too (with `extra` settings of its own)."""
    cleartext = "auth_allow_cleartext = yes" if _dovecot_version(binary) >= (2, 4) else "disable_plaintext_auth = no"
    return (
        CONF.format(
            dir=directory,
            port=port,
            cleartext=cleartext,
            mail_user=mail_user,
            internal_user=_user_or("dovecot", mail_user),
            login_user=_user_or("dovenull", mail_user),
        )
        + extra
    )


def _others_can_enter(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents) if p.exists())


def reachable_directory(directory: Path) -> Path:
    """Where the demo mailbox's files live: `directory` itself when Dovecot's users can reach
    it, otherwise a folder under RELOCATED_ROOT that `directory` links to (files of an earlier
    run are moved there)."""
    directory = directory.absolute()
    if directory.is_symlink() or _others_can_enter(directory.parent):
        return directory.resolve()
    target = RELOCATED_ROOT / hashlib.sha256(str(directory).encode()).hexdigest()[:16]
    RELOCATED_ROOT.mkdir(parents=True, exist_ok=True)
    RELOCATED_ROOT.chmod(0o755)
    if directory.exists() and not target.exists():
        shutil.move(str(directory), str(target))
    elif directory.exists():
        shutil.rmtree(directory)
    target.mkdir(exist_ok=True)
    target.chmod(0o755)
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.symlink_to(target, target_is_directory=True)
    print(
        f"[make run] {directory.parent} cannot be entered by Dovecot's mail user; "
        f"the demo mailbox lives in {target} (linked from {directory})",
        flush=True,
    )
    return target


def _stop_stale(directory: Path) -> None:
    """A Dovecot left running on this directory by an earlier run that was killed: stop it,
    or the new one refuses to start."""
    pid_file = directory / "run" / "master.pid"
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (ValueError, IndexError, OSError):
        return
    if str(directory / "dovecot.conf").encode() in cmdline:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.1)


def start(directory: Path, *, install: bool = False) -> tuple[subprocess.Popen, DemoMailbox]:
    """Dovecot in the foreground on a free loopback port, with one passwd-file user whose
    Maildir is under `directory`; the password is kept in `directory` between runs."""
    binary = dovecot_binary(install=install)
    mail_user = _user_or("mail", "nobody")
    uid, gid = pwd.getpwnam(mail_user).pw_uid, pwd.getpwnam(mail_user).pw_gid
    directory = reachable_directory(directory)
    for sub in ("run", "state", "mail"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    shutil.chown(directory / "mail", uid, gid)
    password_file = directory / "password"
    if not password_file.exists():
        password_file.write_text(secrets.token_urlsafe(12))
        password_file.chmod(0o600)
    password = password_file.read_text().strip()
    (directory / "users").write_text(f"{USER}:{{PLAIN}}{password}:{uid}:{gid}::{directory / 'mail' / USER}::\n")
    port = _free_port()
    conf = directory / "dovecot.conf"
    conf.write_text(dovecot_conf(binary, directory, port, mail_user))
    _stop_stale(directory)
    # Its own session: Ctrl-C in the terminal reaches honcho, which stops the watcher first;
    # Dovecot is stopped after it.
    proc = subprocess.Popen(
        [binary, "-F", "-c", str(conf)],
        stdout=open(directory / "dovecot.out", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    mailbox = DemoMailbox(host="127.0.0.1", port=port, user=USER, password=password)
    deadline = time.monotonic() + 15
    while not _answers(mailbox):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise DemoMailboxUnavailable(f"Dovecot did not start; {_log_tail(directory)}")
        time.sleep(0.1)
    try:
        _client(mailbox).logout()
    except Exception as exc:  # noqa: BLE001 - any IMAP failure: say what Dovecot said
        proc.terminate()
        proc.wait(10)
        raise DemoMailboxUnavailable(
            f"Dovecot started but the demo user cannot sign in ({exc}); {_log_tail(directory)}"
        )
    (directory / "imap.json").write_text(json.dumps(asdict(mailbox)))
    (directory / "imap.json").chmod(0o600)
    return proc, mailbox


def _log_tail(directory: Path) -> str:
    log = directory / "dovecot.log"
    lines = log.read_text(errors="replace").splitlines()[-3:] if log.exists() else []
    return f"see {log}" + ("".join(f"\n    {line}" for line in lines))


def _answers(mailbox: DemoMailbox) -> bool:
    try:
        with socket.create_connection((mailbox.host, mailbox.port), timeout=1) as s:
            return s.recv(64).startswith(b"* OK")
    except OSError:
        return False


def _client(mailbox: DemoMailbox):
    from imapclient import IMAPClient

    client = IMAPClient(mailbox.host, port=mailbox.port, ssl=False, timeout=15)
    client.login(mailbox.user, mailbox.password)
    return client


def append(mailbox: DemoMailbox, raw: bytes) -> None:
    client = _client(mailbox)
    try:
        client.append("INBOX", raw)
    finally:
        client.logout()


def seed(mailbox: DemoMailbox, directory: Path) -> int:
    """APPEND the sample messages once, on the mailbox's first start. Returns how many."""
    marker = directory / "seeded"
    if marker.exists():
        return 0
    samples = sorted(SAMPLES.glob("*.eml"))
    client = _client(mailbox)
    try:
        for path in samples:
            client.append("INBOX", path.read_bytes())
    finally:
        client.logout()
    marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S\n"))
    return len(samples)


def reply_with_tracking_code(tracking_code: str) -> bytes:
    """The sample reporter's reply to the receipt of the first sample, by its tracking code."""
    subject = f"回复：[{tracking_code}] 您的反映已收到"
    template = (SAMPLES / "04_reply_by_tracking_code.eml.in").read_bytes()
    return template.replace(b"{subject_b64}", base64.b64encode(subject.encode()))


def compose(subject: str, body: str, sender: str = "citizen@example.cn") -> bytes:
    """A plain UTF-8 message, as `intake demo-mail` sends it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = f"{USER}@localhost"
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="demo.localhost")
    message.set_content(body)
    return message.as_bytes()
