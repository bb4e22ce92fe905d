"""The democratic supervision mailbox (民主监督邮箱): turning received mail into feedback items."""
from flask import Blueprint

bp = Blueprint("mailbox", __name__, url_prefix="/staff/quarantine")

from intake.mailbox import routes  # noqa: E402,F401
