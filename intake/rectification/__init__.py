"""The rectification tracker (整改台账): staff route problems to a unit, the unit's liaison works
them in their own portal, members verify, reporters rate the outcome."""

from flask import Blueprint, Flask

# Staff: the ledger, a task, routing, figures, export.
staff_bp = Blueprint("rectification", __name__, url_prefix="/staff/rectification")
# The supervised unit's own portal (被监督单位联络员).
unit_bp = Blueprint("unit", __name__, url_prefix="/unit")
# Members' follow-up (追踪监督).
member_bp = Blueprint("verification", __name__, url_prefix="/member/rectification")
# Public: the reporter's rating and each supervised unit's figures.
public_bp = Blueprint("rectification_public", __name__, url_prefix="/jiandu")


def init_app(app: Flask) -> None:
    from intake.rectification.routes import member, public, staff, template_helpers, unit  # noqa: F401 - attaches the views

    for bp in (staff_bp, unit_bp, member_bp, public_bp):
        app.register_blueprint(bp)
