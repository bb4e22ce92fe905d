"""The staff queue: see what came in, open it, move it through its lifecycle."""
from flask import Blueprint

bp = Blueprint("triage", __name__, url_prefix="/staff")

from intake.triage import models  # noqa: E402,F401 - the tables, for Alembic and the app
from intake.triage import routes  # noqa: E402,F401
from intake.triage.cli import classifier_cli  # noqa: E402
from intake.cli import intake_cli  # noqa: E402

intake_cli.add_command(classifier_cli)
