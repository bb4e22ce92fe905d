"""The staff queue: see what came in, open it, move it through its lifecycle."""

from flask import Blueprint, Flask

bp = Blueprint("triage", __name__, url_prefix="/staff")


def init_app(app: Flask) -> None:
    from intake.triage.routes import admin, item, privacy, queue  # noqa: F401 - attaches the views

    app.register_blueprint(bp)
