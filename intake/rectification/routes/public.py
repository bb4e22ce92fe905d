"""Public: the reporter's verdict on the outcome (回访) and each supervised unit's figures."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from intake.core.params import arg_year
from intake.extensions import db
from intake.feedback import access as feedback_access
from intake.program import services as program_services
from intake.rectification import jobs, notify, public_bp, services
from intake.rectification.forms import RatingForm
from intake.rectification.models.ratings import Satisfaction
from intake.rectification.services import figures_per_unit, reporter_rating
from intake.reference.models import Unit


@public_bp.post("/track/<code>/rating")
def rate(code: str):
    # Only a session that opened the progress page (code and secret, or a mail's link) rates.
    item = feedback_access.viewable(code)
    if item is None:
        abort(404)
    form = RatingForm()
    status_url = url_for("feedback.status", code=item.tracking_code)
    if not form.validate_on_submit():
        flash(_("Choose one of the three answers."))
        return redirect(status_url, code=303)
    try:
        rating = reporter_rating.rate_outcome(item, Satisfaction(form.grade.data), form.comment.data)
    except services.RectificationError:
        db.session.rollback()
        flash(_("This outcome has already been rated."))
        return redirect(status_url, code=303)
    task_id = rating.task_id
    db.session.commit()
    jobs.dispatch_reminders(notify.unsent_reminder_ids(task_id=task_id))
    flash(_("Thank you. Your rating has been recorded."))
    response = redirect(status_url, code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@public_bp.get("/units/")
def public_units():
    units = program_services.supervised_units()
    rows = figures_per_unit.unit_figures(unit_ids=[u.id for u in units]) if units else []
    return render_template("rectification/figures.html", rows=rows, year=None, public=True)


@public_bp.get("/units/<code>")
def public_unit(code: str):
    # A unit's public figures exist while it is under listed supervision: in the year asked
    # for, or (without one) in the latest cycle that lists units.
    year = arg_year("year")
    unit = db.session.scalar(
        db.select(Unit).where(Unit.code == code, Unit.id.in_(program_services.supervised_unit_ids_query(year)))
    )
    if unit is None:
        abort(404)
    rows = figures_per_unit.unit_figures(year=year, unit_ids=[unit.id])
    return render_template("rectification/figures.html", rows=rows, year=year, public=True, unit=unit)
