"""Staff: the ledger, a task, routing, deadlines and extensions, releases, review after
不满意, figures, the holiday calendar, export."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake.core import metadata
from intake.core.downloads import send_stored
from intake.core.params import arg_year, form_id
from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification import ledger, services, staff_bp
from intake.rectification.forms import (
    ActionForm,
    DeadlineForm,
    ExtensionDecisionForm,
    HolidayScheduleForm,
    LedgerFilterForm,
    ReviewForm,
    RouteForm,
)
from intake.rectification.models.tasks import EvidenceFile, ExtensionRequest, RectificationTask
from intake.rectification.routes.helpers import _export_name, _ledger_filter, _xlsx_response
from intake.rectification.services import (
    deadlines,
    figures_per_unit,
    ledger_query,
    released_attachments,
    routing,
    unit_steps,
    verification,
)
from intake.reference.services import staff_unit_choices
from intake.security import admin_required, staff_required
from intake.triage.routes.item import render_item


@staff_bp.get("/")
@staff_required
def ledger_list():
    form = LedgerFilterForm(formdata=request.args)
    form.fill_choices(staff_unit_choices(_("All units")))
    form.validate()
    f = _ledger_filter()
    today = services.local_today()
    tasks = ledger_query.ledger_tasks(f, today)
    args = {k: v for k, v in request.args.items() if v}
    return render_template("rectification/ledger.html", form=form, tasks=tasks, today=today, args=args)


@staff_bp.get("/export.xlsx")
@staff_required
def export():
    form = LedgerFilterForm(formdata=request.args)
    form.fill_choices(staff_unit_choices(_("All units")))
    form.validate()
    tasks = ledger_query.ledger_tasks(_ledger_filter())
    return _xlsx_response(ledger.workbook_bytes(tasks, masked=False), _export_name())


@staff_bp.get("/figures")
@staff_required
def figures():
    year = arg_year("year")
    rows = figures_per_unit.unit_figures(year=year)
    rows = [r for r in rows if r.received or r.tasks]
    return render_template("rectification/figures.html", rows=rows, year=year, public=False)


@staff_bp.post("/route")
@staff_required
def route():
    form = RouteForm()
    form.unit_id.choices = staff_unit_choices(_("Choose a unit"))
    item_id = form_id("item_id")
    if not item_id:
        abort(400)
    item = db.get_or_404(FeedbackItem, item_id)
    if not form.validate_on_submit():
        # The item page again with this form, its errors beside its fields and what was typed kept.
        return render_item(item, route_form=form, status=400)
    try:
        task = routing.route_items_to_unit(
            [item.id],
            form.unit_id.data,
            form.problem.data,
            form.requirement.data,
            current_user.id,
            task_id=form.task_id.data,
            deadline_workdays=form.deadline_workdays.data,
            first_answer_workdays=form.first_answer_workdays.data,
        )
    except services.RectificationError:
        db.session.rollback()
        flash(_("This report cannot be routed now (it is closed or already in an open task)."))
        return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
    db.session.commit()
    flash(_("Routed to %(unit)s as task %(code)s.", unit=task.unit.display_name, code=task.code))
    if task.deadline_provisional:
        flash(
            _(
                "The deadline is provisional: the holiday schedule for %(years)s is not known yet.",
                years=task.provisional_year_list,
            )
        )
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


def _staff_task_page(task: RectificationTask, status: int = 200, **forms):
    forms.setdefault(
        "deadline_form",
        DeadlineForm(formdata=None, data={"deadline": task.deadline, "first_answer_due": task.first_answer_due}),
    )
    forms.setdefault("decision_form", ExtensionDecisionForm(formdata=None))
    forms.setdefault("review_form", ReviewForm(formdata=None))
    forms.setdefault("action_form", ActionForm(formdata=None))
    return render_template(
        "rectification/staff_task.html",
        task=task,
        today=services.local_today(),
        releases=released_attachments.releases_by_attachment(task),
        can_clean=metadata.can_clean,
        describe_metadata=metadata.describe,
        **forms,
    ), status


@staff_bp.get("/tasks/<int:task_id>")
@staff_required
def task_detail(task_id: int):
    return _staff_task_page(db.get_or_404(RectificationTask, task_id))


@staff_bp.post("/tasks/<int:task_id>/deadline")
@staff_required
def change_deadline(task_id: int):
    task = db.get_or_404(RectificationTask, task_id)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return _staff_task_page(task, 400, deadline_form=form)
    try:
        unit_steps.change_deadline(
            task, current_user.id, form.deadline.data, form.first_answer_due.data, note=form.note.data
        )
    except services.RectificationError:
        db.session.rollback()
        form.deadline.errors.append(_("The first answer cannot be due after the deadline."))
        return _staff_task_page(task, 400, deadline_form=form)
    db.session.commit()
    flash(_("Deadline changed."))
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


@staff_bp.post("/tasks/<int:task_id>/extensions/<int:request_id>")
@staff_required
def decide_extension(task_id: int, request_id: int):
    task = db.get_or_404(RectificationTask, task_id)
    extension = db.get_or_404(ExtensionRequest, request_id)
    if extension.task_id != task.id:
        abort(404)
    form = ExtensionDecisionForm()
    if not form.validate_on_submit():
        return _staff_task_page(task, 400, decision_form=form)
    try:
        unit_steps.decide_extension(extension, current_user.id, form.decision.data == "approve", form.note.data)
    except services.RectificationError:
        db.session.rollback()
        abort(409)
    db.session.commit()
    flash(_("Extension request decided."))
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


@staff_bp.post("/tasks/<int:task_id>/release/<int:attachment_id>")
@staff_required
def release_attachment(task_id: int, attachment_id: int):
    return _set_attachment_visibility(
        task_id, attachment_id, released_attachments.release_attachment, _("The attachment is now visible to the unit.")
    )


@staff_bp.post("/tasks/<int:task_id>/review")
@staff_required
def review(task_id: int):
    task = db.get_or_404(RectificationTask, task_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _staff_task_page(task, 400, review_form=form)
    try:
        if form.decision.data == "return":
            verification.return_task(task, current_user.id, form.note.data)
        else:
            verification.confirm_closure(task, current_user.id, form.note.data)
    except services.RectificationError:
        db.session.rollback()
        abort(409)
    db.session.commit()
    flash(_("Decision recorded."))
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


@staff_bp.post("/tasks/<int:task_id>/hide/<int:attachment_id>")
@staff_required
def hide_attachment(task_id: int, attachment_id: int):
    return _set_attachment_visibility(
        task_id, attachment_id, released_attachments.hide_attachment, _("The attachment is hidden from the unit again.")
    )


def _set_attachment_visibility(task_id: int, attachment_id: int, change, done_message: str):
    """Release an item's attachment to the unit, or hide it again: both are one audited call."""
    task = db.get_or_404(RectificationTask, task_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(task, attachment_id, current_user.id)
    except services.RectificationError:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(done_message)
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


SCHEDULE_PROBLEMS = {
    "not_a_date": _l("Not a date: %(value)s"),
    "year": _l("Not a year this calendar can hold: %(value)s"),
    "other_year": _l("%(value)s is not in the year entered."),
    "both": _l("%(value)s is listed both as a day off and as a working day."),
    "workday_not_weekend": _l("%(value)s is a weekday: only weekend days can be swapped working days."),
    "no_holidays": _l("Enter at least one day off."),
}


def _calendar_page(form: HolidayScheduleForm, status: int = 200):
    from intake.rectification import calendar

    return render_template(
        "rectification/calendar.html",
        form=form,
        schedules=calendar.schedules(),
        missing=deadlines.missing_calendar_years(),
    ), status


@staff_bp.get("/calendar")
@admin_required
def calendar_page():
    year = arg_year("year")
    return _calendar_page(HolidayScheduleForm(formdata=None, data={"year": year}))


@staff_bp.post("/calendar")
@admin_required
def save_calendar():
    from intake.rectification.calendar import ScheduleError

    form = HolidayScheduleForm()
    if not form.validate_on_submit():
        return _calendar_page(form, 400)
    try:
        changed = deadlines.save_holiday_schedule(
            form.year.data, form.holidays.data, form.workdays.data or "", current_user.id, form.notice.data
        )
    except ScheduleError as exc:
        db.session.rollback()
        for code, value in exc.problems:
            target = form.workdays if code == "workday_not_weekend" else form.holidays
            target.errors.append(str(SCHEDULE_PROBLEMS[code] % {"value": value}))
        return _calendar_page(form, 400)
    db.session.commit()
    flash(
        _(
            "The holiday schedule for %(year)d is saved; %(n)d provisional deadline(s) recomputed.",
            year=form.year.data,
            n=len(changed),
        )
    )
    return redirect(url_for("rectification.calendar_page"), code=303)


@staff_bp.get("/files/<int:file_id>")
@staff_required
def staff_file(file_id: int):
    evidence = db.get_or_404(EvidenceFile, file_id)
    return send_stored(evidence.stored_name, evidence.content_type, evidence.original_name)
