"""The app's one Redis client: made once, also when threads ask for it together."""

import threading
import time

from flask import Flask

from intake import redis_client


def test_threads_asking_together_get_one_client(monkeypatch):
    app = Flask(__name__)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # never connected: no command is sent
    made = []
    real_from_url = redis_client.Redis.from_url

    def slow_from_url(*args, **kwargs):
        time.sleep(0.05)  # widen the window in which a second thread would make its own
        client = real_from_url(*args, **kwargs)
        made.append(client)
        return client

    monkeypatch.setattr(redis_client.Redis, "from_url", slow_from_url)
    barrier = threading.Barrier(8)
    got = []

    def first_request():
        with app.app_context():
            barrier.wait()
            got.append(redis_client.redis_connection())

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # A second client would replace the first, and collecting the first closes its pool under a
    # request still using it (seen as 500s on the first POSTs of a gunicorn worker).
    assert len(made) == 1
    assert all(client is made[0] for client in got)
