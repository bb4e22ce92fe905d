"""Counting in Redis: failures, to slow down guessing of lookup secrets and passwords, and
hits, to limit bursts (submissions of the public form per client).

When Redis is unreachable the limit is not enforced: a citizen must never be locked out of
their own report, or kept from submitting one, because the job queue is down."""

import hashlib
import hmac
import logging

from redis.exceptions import RedisError

from intake.redis_client import redis_connection

log = logging.getLogger(__name__)


def _key(scope: str, who: str) -> str:
    return f"intake:fail:{scope}:{who}"


def too_many_failures(scope: str, who: str, limit: int) -> bool:
    try:
        count = redis_connection().get(_key(scope, who))
    except RedisError as exc:
        log.warning("rate limit not checked (%s): %s", scope, exc)
        return False
    return count is not None and int(count) >= limit


def _count(scope: str, who: str, window_seconds: int) -> tuple[int, int]:
    """One more in the window (which starts with the first): the count and the seconds left."""
    key = _key(scope, who)
    with redis_connection().pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds, nx=True)
        pipe.ttl(key)
        count, _expiry_set, ttl = pipe.execute()
    return count, ttl


def record_failure(scope: str, who: str, window_seconds: int) -> None:
    try:
        _count(scope, who, window_seconds)
    except RedisError as exc:
        log.warning("rate limit not recorded (%s): %s", scope, exc)


def take(scope: str, who: str, limit: int, window_seconds: int) -> int:
    """Count one hit. 0 when it is within the limit; otherwise the seconds until the window
    ends (the hit is still counted, so a client that keeps trying stays refused)."""
    try:
        count, ttl = _count(scope, who, window_seconds)
    except RedisError as exc:
        log.warning("rate limit not checked (%s): %s", scope, exc)
        return 0
    return 0 if count <= limit else max(int(ttl), 1)


def client_key(address: str | None) -> str:
    """A client address as the limits keep it: an HMAC under the app's secret, so Redis and the
    logs never hold the raw address and the same client always gets the same key."""
    from flask import current_app

    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, (address or "").encode(), hashlib.sha256).hexdigest()[:32]


def failures(scope: str) -> list[tuple[str, int, int]]:
    """Every counter of a scope: (who, failures, seconds until it is forgotten)."""
    prefix = _key(scope, "")
    try:
        conn = redis_connection()
        keys = list(conn.scan_iter(match=prefix + "*", count=500))
        if not keys:
            return []
        with conn.pipeline() as pipe:
            for key in keys:
                pipe.get(key)
                pipe.ttl(key)
            values = pipe.execute()
    except RedisError as exc:
        log.warning("rate limits not read (%s): %s", scope, exc)
        return []
    rows = []
    for key, count, ttl in zip(keys, values[0::2], values[1::2], strict=True):
        if count is not None:
            name = key.decode() if isinstance(key, bytes) else key
            rows.append((name[len(prefix) :], int(count), max(int(ttl), 0)))
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def clear(scope: str, who: str) -> None:
    try:
        redis_connection().delete(_key(scope, who))
    except RedisError as exc:
        log.warning("rate limit not cleared (%s): %s", scope, exc)
