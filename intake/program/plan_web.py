"""Blueprints of plans, reports, groups and meetings (the second half of the annual program)."""

from flask import Blueprint, Flask

# Staff: each drawn unit's plan, group, meetings and reports.
staff_plans_bp = Blueprint("program_plans", __name__, url_prefix="/staff/program")
# The unit's liaison: its approved plan and its self-inspection reports.
unit_program_bp = Blueprint("unit_program", __name__, url_prefix="/unit/program")
# Meetings, recorded by staff or by the members of the unit's group.
work_bp = Blueprint("program_work", __name__, url_prefix="/program")
# A member's work page: their groups, tasks and the year's calendar (their home after login).
member_program_bp = Blueprint("member_program", __name__, url_prefix="/member/program")


def init_app(app: Flask) -> None:
    from intake.program import routes_groups, routes_plans  # noqa: F401 - attaches the views

    for bp in (staff_plans_bp, unit_program_bp, work_bp, member_program_bp):
        app.register_blueprint(bp)
