"""The democratic appraisal (民主评议) that closes a supervision year: the standing committee's
secret ballot, the grades, the notices (通报) and plaques, and what members read before judging
(知情明政)."""

from flask import Blueprint, Flask, abort

# Staff: sessions, the count, results, opinions, notices and plaques.
staff_bp = Blueprint("appraisal", __name__, url_prefix="/staff/appraisal")
# Members: the ballot on their phone, receipts, and each supervised unit's year (知情明政).
member_bp = Blueprint("appraisal_member", __name__, url_prefix="/member/appraisal")
# A unit's liaison: its own notice, once issued.
unit_bp = Blueprint("appraisal_unit", __name__, url_prefix="/unit/appraisal")
# Public: a unit's grade, figures and rectification record (the plaque's QR code points here).
public_bp = Blueprint("appraisal_public", __name__, url_prefix="/program")


MAX_ID = 2**31 - 1


def _bounded_ids(endpoint, values) -> None:
    # An id or a year no table can hold is a page that does not exist, not a database error
    # (SQLite refuses integers past 64 bits, PostgreSQL past the column's size).
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)


for _bp in (staff_bp, member_bp, unit_bp, public_bp):
    _bp.url_value_preprocessor(_bounded_ids)


def init_app(app: Flask) -> None:
    from intake.appraisal import models, routes  # noqa: F401 - the tables, and the views

    for bp in (staff_bp, member_bp, unit_bp, public_bp):
        app.register_blueprint(bp)
