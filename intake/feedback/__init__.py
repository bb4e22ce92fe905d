"""The public 民主监督 pages: submit a report, look up its status."""

from flask import Blueprint, Flask

bp = Blueprint("feedback", __name__)


def init_app(app: Flask) -> None:
    from intake.feedback import routes  # noqa: F401 - attaches the views

    app.register_blueprint(bp)
