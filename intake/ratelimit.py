"""Counting failures in Redis, to slow down guessing of lookup secrets and passwords.

When Redis is unreachable the limit is not enforced: a citizen must never be locked out of
their own report because the job queue is down."""

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


def record_failure(scope: str, who: str, window_seconds: int) -> None:
    key = _key(scope, who)
    try:
        with redis_connection().pipeline() as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds, nx=True)
            pipe.execute()
    except RedisError as exc:
        log.warning("rate limit not recorded (%s): %s", scope, exc)
