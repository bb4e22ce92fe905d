"""Accounts and login for staff, members and unit liaisons."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth")

from intake.auth import routes  # noqa: E402,F401
