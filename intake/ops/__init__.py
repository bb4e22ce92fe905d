"""Running the service: health and readiness, Prometheus metrics, structured logs with a
request id, the admin's system and jobs pages, and the checks a production process makes
before it starts (startup.py)."""

import time

from flask import Blueprint, Flask, g, request

bp = Blueprint("ops", __name__)


def _observe(response):
    from intake.ops import logs, metrics

    started = g.get("request_started")
    if started is not None:
        metrics.observe_request(
            request.method,
            logs.route_of_request(),
            response.status_code,
            time.perf_counter() - started,
            request.endpoint,
        )
    return response


def init_app(app: Flask) -> None:
    from intake.ops import logs, routes  # noqa: F401 - attaches the views

    logs.init_app(app)
    app.after_request(_observe)
    app.register_blueprint(bp)
