"""One Redis client per app, created on first use with short timeouts so an outage fails fast."""

from flask import current_app
from redis import Redis


def redis_connection() -> Redis:
    conn = current_app.extensions.get("intake_redis")
    if conn is None:
        conn = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["intake_redis"] = conn
    return conn
