"""Faults done for real: processes killed with SIGKILL, Dovecot restarted mid-poll, Redis
stopped, the database made unreachable. Then count: every message exactly one item, none lost,
none doubled, nothing marked on the server before its item was committed."""

import collections
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from intake import create_app
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.mailbox.models import InboundMessage, InboundState
from intake.mailbox.session import INGESTED, MailboxSession
from tests import servers
from tests.mailbox.conftest import drain, flags_by_uid, imap_client, poll
from tests.mailbox.test_ingest import mail
from workers.watcher import poll_once, watch_mailbox

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
MARKER = re.compile(r"K(\d{4})")


def marked_message(n: int) -> bytes:
    return mail(f"故障测试 {n}", f"编号 K{n:04d}：政务大厅窗口反映的问题。", message_id=f"<fault-{n}@example.cn>")


def assert_exactly_once(app, n_messages: int) -> None:
    with app.app_context():
        bodies = db.session.scalars(select(FeedbackItem.body)).all()
        numbers = collections.Counter(int(MARKER.search(b).group(1)) for b in bodies)
        doubled = {k: v for k, v in numbers.items() if v > 1}
        lost = set(range(n_messages)) - set(numbers)
        assert not doubled, f"doubled: {doubled}"
        assert not lost, f"lost: {sorted(lost)[:20]}"
        rows = db.session.scalar(select(func.count()).select_from(InboundMessage))
        assert rows == n_messages  # each UID fetched into exactly one row


def group_members(group: int) -> list[int]:
    """Live processes of a process group, from /proc (zombies are not running)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


class Managed:
    """A `flask --app wsgi intake ...` process we can SIGKILL and start again."""

    def __init__(self, name: str, args: list[str], env: dict, logdir: Path):
        self.name, self.args, self.env, self.logdir = name, args, env, logdir
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.logdir / f"{self.name}.log", "ab")
        self.proc = subprocess.Popen(
            [FLASK, "--app", "wsgi", "intake", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()


def process_env(app, **extra) -> dict:
    c = app.config
    env = dict(os.environ)
    env.update(
        INTAKE_CONFIG="test",
        DATABASE_URL=c["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=c["REDIS_URL"],
        UPLOAD_DIR=c["UPLOAD_DIR"],
        IMAP_HOST=c["IMAP_HOST"],
        IMAP_PORT=str(c["IMAP_PORT"]),
        IMAP_SSL="0",
        IMAP_USER=c["IMAP_USER"],
        IMAP_PASSWORD=c["IMAP_PASSWORD"],
        IMAP_POLL_SECONDS="1",
        IMAP_BATCH_MESSAGES="20",
        MAIL_REQUEUE_SECONDS="3",
        SMTP_HOST="",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def parsed_count(app) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).where(InboundMessage.state == InboundState.parsed))
        db.session.remove()
        return n


def poll_once_until_it_parses(app, imap, tmp_path, n_messages: int) -> tuple[Managed, dict]:
    """n marked messages in the mailbox and a `poll --once` started; returns once it has parsed
    some, with its environment (a dead poll's lease lapses after 2 s, its batch requeued at once)."""
    for n in range(n_messages):
        imap.append("INBOX", marked_message(n))
    env = process_env(app, MAIL_REQUEUE_SECONDS=0, WATCHER_LEASE_SECONDS=2)
    first = Managed("poll", ["poll", "--once"], env, tmp_path)
    first.start()
    deadline = time.monotonic() + 120
    while parsed_count(app) == 0:
        assert first.proc.poll() is None, "poll --once ended before it parsed anything"
        assert time.monotonic() < deadline, "poll --once parsed nothing in 120 s"
        time.sleep(0.01)
    return first, env


def poll_again_until_all_parsed(app, env: dict, tmp_path, n_messages: int) -> None:
    deadline = time.monotonic() + 120
    while parsed_count(app) < n_messages:
        assert time.monotonic() < deadline, f"{parsed_count(app)} of {n_messages} parsed after 120 s"
        again = Managed("poll-again", ["poll", "--once"], env, tmp_path)
        again.start()
        again.proc.wait(120)
    assert_exactly_once(app, n_messages)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_kill_9_poll_once_while_it_parses_then_poll_again(mail_app, mailbox_id, imap, tmp_path):
    """`poll --once` runs the parse jobs it queued: killed in the middle of them (its forked
    parser too, the whole process group), the next `poll --once` finishes the rest (the dead
    one's batch included) with no message lost or doubled."""
    first, env = poll_once_until_it_parses(mail_app, imap, tmp_path, 200)
    first.kill9()
    assert 0 < parsed_count(mail_app) < 200, "killed too late: every message was parsed already"
    poll_again_until_all_parsed(mail_app, env, tmp_path, 200)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_poll_once_killed_alone_its_forked_parser_finishes_its_job_and_exits(mail_app, mailbox_id, imap, tmp_path):
    """On two cores `poll --once` forks a parser that works beside the fetch. SIGKILL to the poll
    alone (not its process group): the kernel tells the parser (PR_SET_PDEATHSIG), which ends
    the job in its hands and exits; nothing of the dead poll stays running, and the next poll
    finishes the rest, each message once."""
    first, env = poll_once_until_it_parses(mail_app, imap, tmp_path, 200)
    group = first.proc.pid  # Managed starts each process as the leader of its own group
    members = group_members(group)
    assert len(members) >= 2, f"no forked parser beside the poll (one core?): {members}"
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(10)
    # Well under the parser's own idle limit (workers/worker.py PARSER_IDLE_SECONDS, 60 s), so
    # only the kernel's signal can end it in time.
    deadline = time.monotonic() + 20
    while group_members(group):
        assert time.monotonic() < deadline, "the forked parser outlived its poll by 20 s"
        time.sleep(0.05)
    poll_again_until_all_parsed(mail_app, env, tmp_path, 200)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_kill_9_watcher_and_workers_at_random_moments(mail_app, mailbox_id, imap, tmp_path):
    n_messages = 1000
    rnd = random.Random(int(os.environ.get("FAULT_SEED", time.time())))
    messages = [marked_message(n) for n in range(n_messages)]
    for raw in messages[:300]:
        imap.append("INBOX", raw)
    # A killed watcher's lease lapses in 3 s (30 by default), so a restarted one takes the
    # mailbox back without the test waiting half a minute after each watcher it kills.
    env = process_env(mail_app, WATCHER_LEASE_SECONDS=3)
    watcher = Managed("watcher", ["watch"], env, tmp_path)
    workers = [Managed(f"worker{i}", ["worker"], env, tmp_path) for i in range(2)]
    everyone = [watcher, *workers]
    for p in everyone:
        p.start()
    appended, kills = 300, collections.Counter()
    try:
        for _ in range(14):
            time.sleep(rnd.uniform(0.2, 1.5))
            for raw in messages[appended : appended + 50]:
                imap.append("INBOX", raw)
            appended = min(n_messages, appended + 50)
            victim = rnd.choice(everyone)
            victim.kill9()
            kills[victim.name] += 1
            victim.start()
        for raw in messages[appended:]:
            imap.append("INBOX", raw)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with mail_app.app_context():
                done = db.session.scalar(
                    select(func.count()).where(
                        InboundMessage.state == InboundState.parsed, InboundMessage.marked_at.is_not(None)
                    )
                )
            if done >= n_messages:
                break
            time.sleep(0.5)
    finally:
        for p in everyone:
            p.stop()
    assert kills["watcher"] and sum(kills.values()) == 14
    assert_exactly_once(mail_app, n_messages)
    flags = flags_by_uid(imap)
    assert len(flags) == n_messages and all(INGESTED in f for f in flags.values())


def test_dovecot_restarted_in_the_middle_of_a_poll(mail_app, mailbox_id, imap, dovecot):
    n_messages = 60
    mail_app.config["IMAP_BATCH_MESSAGES"] = 5
    for n in range(n_messages):
        imap.append("INBOX", marked_message(n))

    class RestartDuringThirdBatch(MailboxSession):
        batches = 0

        def _store_batch(self, batch, sizes, **kwargs):
            self.batches += 1
            if self.batches == 3:
                dovecot.stop()
                dovecot.start()
            return super()._store_batch(batch, sizes, **kwargs)

    session = RestartDuringThirdBatch(mail_app, mailbox_id)
    session.connect()
    with pytest.raises(Exception):  # noqa: B017 - however the cut link fails, nothing may be half-stored
        session.poll()
    session.close()
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 10  # two batches committed

    # The long-running watcher reconnects after the restart and goes on from the checkpoint.
    stop = threading.Event()
    thread = threading.Thread(target=watch_mailbox, args=(mail_app, mailbox_id, stop), kwargs={"poll_seconds": 0.5})
    thread.start()
    try:
        _wait_for_rows(mail_app, n_messages)
        dovecot.stop()  # and once more while it idles
        dovecot.start()
        late = imap_client(
            {
                "host": "127.0.0.1",
                "port": dovecot.port,
                "user": mail_app.config["IMAP_USER"],
                "password": mail_app.config["IMAP_PASSWORD"],
            }
        )
        late.append("INBOX", marked_message(n_messages))
        late.logout()
        _wait_for_rows(mail_app, n_messages + 1, timeout=20)
    finally:
        stop.set()
        thread.join(30)
    drain(mail_app)
    assert_exactly_once(mail_app, n_messages + 1)


def _wait_for_rows(app, n: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if db.session.scalar(select(func.count()).select_from(InboundMessage)) >= n:
                return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} messages stored after {timeout}s")


def test_redis_stopped_during_ingestion_rows_wait_and_are_enqueued_later(mail_app, mailbox_id, imap, redis_server):
    mail_app.config["MAIL_REQUEUE_SECONDS"] = 0
    for n in range(10):
        imap.append("INBOX", marked_message(n))
    poll(mail_app, mailbox_id)  # stored and enqueued, but no worker ran yet
    redis_server.stop()
    try:
        for n in range(10, 20):
            imap.append("INBOX", marked_message(n))
        assert poll(mail_app, mailbox_id) == 10  # the watcher goes on without Redis
        with mail_app.app_context():
            waiting = db.session.scalar(select(func.count()).where(InboundMessage.enqueued_at.is_(None)))
            assert waiting == 10
        assert not any(INGESTED in f for f in flags_by_uid(imap).values())
    finally:
        redis_server.start()
    # Redis came back empty (no persistence): the first ten jobs are gone too. The sweeper in
    # the next poll enqueues all twenty.
    poll(mail_app, mailbox_id)
    drain(mail_app)
    poll(mail_app, mailbox_id)
    assert_exactly_once(mail_app, 20)
    assert all(INGESTED in f for f in flags_by_uid(imap).values())


def test_database_unreachable_nothing_is_marked(imap_account, imap, redis_url, redis_server, tmp_path):
    from flask_migrate import upgrade

    pg_dir = servers.tempdir("intake-pg-fault-")
    try:
        server, url = servers.start_private_postgres(pg_dir)
    except servers.ServerUnavailable as exc:
        servers.fail("postgresql", str(exc))
    try:
        app = create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=url,
            REDIS_URL=redis_url,
            UPLOAD_DIR=str(tmp_path / "uploads"),
            IMAP_HOST=imap_account["host"],
            IMAP_PORT=imap_account["port"],
            IMAP_SSL=False,
            IMAP_USER=imap_account["user"],
            IMAP_PASSWORD=imap_account["password"],
            SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}},
        )
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            from intake.mailbox.services import ensure_default_mailbox

            mailbox_id = ensure_default_mailbox(app.config).id
            db.session.commit()
        for n in range(5):
            imap.append("INBOX", marked_message(n))
        poll_once(app, mailbox_id)
        drain(app)  # five items committed; the next poll would mark them

        server.stop(signal.SIGINT)  # fast shutdown: clients are cut off, as in a crash of the link
        for n in range(5, 8):
            imap.append("INBOX", marked_message(n))
        with pytest.raises(Exception):  # noqa: B017 - however the outage shows, nothing may be half-stored
            poll_once(app, mailbox_id)
        flags = flags_by_uid(imap)
        assert len(flags) == 8 and not any(INGESTED in f for f in flags.values())

        server.start()
        deadline = time.monotonic() + 20
        while not servers.postgres_answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)  # listening comes before accepting: "the database system is starting up"
        poll_once(app, mailbox_id)
        drain(app)
        poll_once(app, mailbox_id)
        assert all(INGESTED in f for f in flags_by_uid(imap).values())
        assert_exactly_once(app, 8)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        server.stop(signal.SIGINT)
