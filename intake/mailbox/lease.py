"""Who watches a mailbox: one watcher at a time holds a lease in Redis, a random token under
the mailbox's key with an expiry. The holder renews it; a watcher that finds it held waits, and
takes it over once the holder has died and its lease has expired. Two watchers on the same
mailbox (two machines, or a restart overlapping the old process) therefore never store the same
messages side by side. Redis, not a PostgreSQL advisory lock, so that SQLite works the same."""

import os
import socket
import uuid

from redis import Redis

KEY = "intake:mailbox-lease:{mailbox_id}"

# Extend only while the lease is still ours: a watcher that stalled past its expiry must not
# extend (or delete) the lease another watcher has taken over meanwhile.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LeaseLost(Exception):
    """The lease expired and another watcher may hold the mailbox: stop storing from it."""


class MailboxLease:
    def __init__(self, redis: Redis, mailbox_id: int, seconds: float):
        self.redis = redis
        self.key = KEY.format(mailbox_id=mailbox_id)
        self.ttl_ms = max(1, int(seconds * 1000))
        # Host and pid first, so that a waiting watcher can say who holds the mailbox.
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"
        self.held = False

    @property
    def renew_every(self) -> float:
        return self.ttl_ms / 3000

    def acquire(self) -> bool:
        """Take the lease if nobody holds it (or renew it if we do)."""
        if self.held and self.renew():
            return True
        self.held = bool(self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))
        return self.held

    def renew(self) -> bool:
        self.held = bool(self.redis.eval(_RENEW, 1, self.key, self.token, self.ttl_ms))
        return self.held

    def confirm(self) -> None:
        """Renew now or raise LeaseLost: called before each commit of fetched mail."""
        if not self.renew():
            raise LeaseLost(f"lease {self.key} lost")

    def release(self) -> None:
        if self.held:
            self.redis.eval(_RELEASE, 1, self.key, self.token)
            self.held = False

    def holder(self) -> str | None:
        """Host and process of the watcher holding the mailbox, if any."""
        value = self.redis.get(self.key)
        if value is None:
            return None
        return value.decode().rsplit(":", 1)[0]
