"""The staff queue: see what came in, open it, move it through its lifecycle."""
from flask import Blueprint, Flask

bp = Blueprint("triage", __name__, url_prefix="/staff")


def init_app(app: Flask) -> None:
    from intake.cli import intake_cli
    from intake.triage.cli import classifier_cli
    from intake.triage.routes import admin, item, queue  # noqa: F401 - attaches the views

    app.register_blueprint(bp)
    intake_cli.add_command(classifier_cli)
