"""The public 民主监督 pages: submit a report, look up its status."""
from flask import Blueprint

bp = Blueprint("feedback", __name__)

from intake.feedback import routes  # noqa: E402,F401
