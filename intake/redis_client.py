"""One Redis client per app, created on first use with short timeouts so an outage fails fast.

Created once under a lock: gunicorn's threads reach their first Redis command together, and a
second client made in that race would replace the first, whose garbage collection closes its
connection pool (redis-py's `from_url` clients own their pool) under a pipeline still using it."""

import threading

from flask import current_app
from redis import Redis

_creating = threading.Lock()


def redis_connection() -> Redis:
    conn = current_app.extensions.get("intake_redis")
    if conn is None:
        with _creating:
            conn = current_app.extensions.get("intake_redis")
            if conn is None:
                conn = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
                current_app.extensions["intake_redis"] = conn
    return conn
