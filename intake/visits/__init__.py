"""明察暗访 on a phone: members record visits to a supervised unit (even offline, through a
Service Worker and an outbox), findings become feedback items, staff read the year's figures."""

from flask import Blueprint, Flask

# Members: their visits and their groups', the visit form (works offline), the outbox's API.
member_visits_bp = Blueprint("visits", __name__, url_prefix="/member/visits")
# Staff: visits per unit and per member, the checklist of each year, conflicts.
staff_visits_bp = Blueprint("staff_visits", __name__, url_prefix="/staff/visits")


def init_app(app: Flask) -> None:
    from intake.visits import models, routes, routes_staff  # noqa: F401 - the tables, and the views

    for bp in (member_visits_bp, staff_visits_bp):
        app.register_blueprint(bp)
