"""The democratic supervision mailbox (民主监督邮箱): turning received mail into feedback items."""

from flask import Blueprint, Flask

bp = Blueprint("mailbox", __name__, url_prefix="/staff/quarantine")


def init_app(app: Flask) -> None:
    from intake.mailbox import routes  # noqa: F401 - attaches the views

    app.register_blueprint(bp)
