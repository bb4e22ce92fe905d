"""The staff queue: see what came in, open it, move it through its lifecycle."""
from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/staff")

from intake.triage import routes  # noqa: E402,F401
