"""The annual supervision program (挂牌监督): the year's cycle and stages, and the lottery (抽签)
that draws the supervised units, verifiable by anyone."""

from flask import Blueprint, Flask

# Staff: cycles, their timeline, the lottery.
staff_bp = Blueprint("program", __name__, url_prefix="/staff/program")
# Public: each year's lottery record and its draw.json (no login).
public_bp = Blueprint("program_public", __name__, url_prefix="/program")


def init_app(app: Flask) -> None:
    from intake.program import models, routes  # noqa: F401 - the tables, and the views
    from intake.program.services import supervised_first
    from intake.reference.services import order_units_first

    for bp in (staff_bp, public_bp):
        app.register_blueprint(bp)
    order_units_first(supervised_first)
