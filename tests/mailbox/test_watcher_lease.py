"""Two watchers on one mailbox: one holds it (a lease in Redis), the other waits and takes over
when the holder dies. Done for real: two `intake watch` processes, the holder SIGKILLed while it
is storing batches, then every message counted."""

import time

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.mailbox.lease import LeaseLost, MailboxLease
from intake.mailbox.models import InboundMessage, InboundState
from intake.redis_client import redis_connection
from tests.mailbox.conftest import drain
from tests.mailbox.test_faults import Managed, assert_exactly_once, marked_message, process_env


def wait_for(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def log_of(tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.log"
    return path.read_text() if path.exists() else ""


def count_rows(app, *conditions) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(InboundMessage).where(*conditions))
        db.session.remove()
        return n


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_lease_is_held_by_one_token_and_taken_over_after_it_expires(app):
    with app.app_context():
        redis = redis_connection()
    first, second = MailboxLease(redis, 7, 0.3), MailboxLease(redis, 7, 0.3)
    assert first.acquire() and not second.acquire()
    assert first.holder() and first.holder() == second.holder()
    wait_for(lambda: second.acquire(), "the lease to expire", timeout=5)
    # The stalled holder can neither extend nor release what is now another's.
    assert not first.renew()
    with pytest.raises(LeaseLost):
        first.confirm()
    first.release()
    assert not MailboxLease(redis, 7, 10).acquire()
    second.release()
    assert MailboxLease(redis, 7, 10).acquire()
    redis.delete("intake:mailbox-lease:7")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_watchers_one_mailbox_holder_killed_mid_batch(mail_app, mailbox_id, imap, tmp_path):
    n_messages = 300
    env = process_env(mail_app, IMAP_BATCH_MESSAGES=5, WATCHER_LEASE_SECONDS=2)
    first, second = Managed("first", ["watch"], env, tmp_path), Managed("second", ["watch"], env, tmp_path)
    try:
        first.start()
        wait_for(lambda: "this watcher holds the mailbox" in log_of(tmp_path, "first"), "the first to hold it")
        second.start()
        wait_for(lambda: "waiting to take over" in log_of(tmp_path, "second"), "the second to wait")
        # Mail arrives while the first is storing; it is killed in the middle of that.
        for n in range(100):
            imap.append("INBOX", marked_message(n))
        wait_for(lambda: count_rows(mail_app) >= 10, "the first to store a few batches")
        first.kill9()
        assert count_rows(mail_app) < n_messages
        assert "connected to" not in log_of(tmp_path, "second")  # it waited, it did not fetch

        for n in range(100, n_messages):
            imap.append("INBOX", marked_message(n))
        wait_for(lambda: "this watcher holds the mailbox" in log_of(tmp_path, "second"), "the takeover")

        def all_done() -> bool:
            drain(mail_app)
            done = (InboundMessage.state == InboundState.parsed, InboundMessage.marked_at.is_not(None))
            return count_rows(mail_app, *done) >= n_messages

        wait_for(all_done, "every message parsed and marked", timeout=90)
    finally:
        first.stop()
        second.stop()
    assert second.proc.returncode == 0  # SIGTERM: stopped cleanly, lease released
    assert_exactly_once(mail_app, n_messages)
    assert "error" not in log_of(tmp_path, "second").lower()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_poll_once_leaves_a_mailbox_a_watcher_holds_alone(mail_app, mailbox_id, imap, runner):
    imap.append("INBOX", marked_message(1))
    with mail_app.app_context():
        watcher = MailboxLease(redis_connection(), mailbox_id, 30)
        assert watcher.acquire()
    result = runner.invoke(args=["intake", "poll", "--once"])
    assert result.exit_code == 0 and "held by another watcher" in result.output
    assert count_rows(mail_app) == 0
    watcher.release()
    result = runner.invoke(args=["intake", "poll", "--once"])
    assert result.exit_code == 0 and "stored 1 message(s)" in result.output, result.output
