"""Accounts and login for staff, members and unit liaisons."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app: Flask) -> None:
    from intake.auth import routes, routes_twofactor, routes_users  # noqa: F401 - attaches the views

    app.register_blueprint(bp)
