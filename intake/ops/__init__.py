"""Running the service: health and readiness, Prometheus metrics, structured logs with a
request id, the admin's system and jobs pages, and the checks a production process makes
before it starts (startup.py), and backups with their restore (`intake backup ...`)."""

from flask import Blueprint, Flask

bp = Blueprint("ops", __name__)


def init_app(app: Flask) -> None:
    from intake.ops import logs, metrics, routes  # noqa: F401 - routes attaches the views

    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(bp)
