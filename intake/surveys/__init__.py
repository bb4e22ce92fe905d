"""Questionnaires (调查问卷): staff build them (or import an XLSForm sheet), hand them out by
link and QR poster, the public answers anonymously (no JavaScript needed, WeChat's browser
included), staff and, once published, the unit's liaison read the results as charts."""

from flask import Blueprint, Flask

# Staff: build, hand out, read the results.
staff_bp = Blueprint("surveys", __name__, url_prefix="/staff/surveys")
# The unit's liaison: published results of their own unit.
unit_bp = Blueprint("unit_surveys", __name__, url_prefix="/unit/surveys")
# The public: /q/<token>, the link behind the QR code.
public_bp = Blueprint("surveys_public", __name__, url_prefix="/q")


def init_app(app: Flask) -> None:
    from intake.surveys import models  # noqa: F401 - the tables
    from intake.surveys.routes import build, handout, public, results  # noqa: F401 - attaches the views

    for bp in (staff_bp, unit_bp, public_bp):
        app.register_blueprint(bp)
