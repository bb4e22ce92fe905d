"""Routes of the ledger: thin; each reads input, calls one service, commits, renders.

Who may open what is decided here once per view (roles) and in services.task_for_user
(ownership: a liaison reads only their own unit's tasks; anything else is a 404)."""

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intake import ratelimit
from intake.auth.models import Role
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import FeedbackItem
from intake.feedback.services import UploadInput
from intake.program import services as program_services
from intake.rectification import ledger, member_bp, notify, public_bp, services, staff_bp, unit_bp
from intake.rectification.forms import (
    ActionForm,
    CompletionForm,
    DeadlineForm,
    ExtensionDecisionForm,
    ExtensionForm,
    HolidayScheduleForm,
    LedgerFilterForm,
    ProgressForm,
    RatingForm,
    ReviewForm,
    RouteForm,
    SignForm,
    VisitForm,
)
from intake.rectification.masking import masked_file_name
from intake.rectification.models import (
    EvidenceFile,
    EvidenceKind,
    ExtensionRequest,
    ReadKind,
    RectificationTask,
    Satisfaction,
    TaskStatus,
    VisitOutcome,
)
from intake.rectification.workdays import CalendarDataMissing
from intake.reference.models import Unit
from intake.reference.services import unit_choices
from intake.security import roles_required, staff_required
from intake.storage import path_for
from intake.uploads import ALLOWED_TYPES, extension_of, safe_display_name

liaison_required = roles_required(Role.liaison)
admin_required = roles_required(Role.admin)
verifier_required = roles_required(Role.member, Role.staff, Role.admin)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _uploads(field) -> list[UploadInput]:
    return [
        UploadInput(filename=safe_display_name(f.filename), content_type=ALLOWED_TYPES[extension_of(f.filename)],
                    stream=f.stream)
        for f in (field.data or []) if f and getattr(f, "filename", None)
    ]


def _send_stored(stored_name: str, content_type: str, download_name: str):
    path = path_for(stored_name)
    if not path.exists():
        abort(410)
    # Always a download and never sniffed: an uploaded HTML or SVG must not run in our origin.
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=download_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response


def _ledger_filter(form: LedgerFilterForm, unit_id: int | None = None) -> services.LedgerFilter:
    status = request.args.get("status") or None
    if status not in (None, "open", "overdue") and status not in {s.value for s in TaskStatus}:
        status = None
    try:
        form.unit.process_formdata([request.args.get("unit", "")])
    except ValueError:
        abort(400)
    return services.LedgerFilter(
        unit_id=unit_id or form.unit.data, status=status,
        date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
    )


def _xlsx_response(data: bytes, name: str):
    response = current_app.response_class(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename=ledger.xlsx; filename*=UTF-8''{name}"
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_name() -> str:
    from urllib.parse import quote

    return quote(_("Rectification ledger") + "-" + services.local_today().isoformat() + ".xlsx")


# --- template helpers ---------------------------------------------------------------------------

@staff_bp.app_template_global()
def rectification_for_item(item: FeedbackItem) -> dict:
    """What the staff item page shows about routing: the item's tasks and the route form."""
    form = RouteForm(formdata=None, data={"item_id": item.id, "unit_id": item.unit_id})
    form.unit_id.choices = unit_choices(_("Choose a unit"))
    open_tasks = services.open_tasks_of_unit(item.unit_id) if item.unit_id else []
    form.task_id.choices = [(0, _("A new task"))] + [(t.id, t.code + " " + t.problem[:30]) for t in open_tasks]
    return {"tasks": services.tasks_of_item(item.id), "form": form,
            "can_route": not item.status.is_final and services.open_task_of_item(item.id) is None}


@public_bp.app_template_global()
def rectification_outcome(item: FeedbackItem):
    return services.outcome_for_item(item)


@unit_bp.app_template_filter("unit_mask")
def unit_mask(text, task):
    return services.mask_for_task(text, task)


@staff_bp.app_template_global()
def rating_form():
    return RatingForm()


@staff_bp.app_template_global()
def missing_calendar_years() -> list[int]:
    """Years in use that nobody has the holiday schedule for (the admins' banner)."""
    return services.missing_calendar_years()


# --- staff ------------------------------------------------------------------------------------

@staff_bp.get("/")
@staff_required
def ledger_list():
    form = LedgerFilterForm(formdata=request.args)
    form.fill_choices(unit_choices(_("All units")))
    form.validate()
    f = _ledger_filter(form)
    today = services.local_today()
    tasks = services.ledger_tasks(f, today)
    args = {k: v for k, v in request.args.items() if v}
    return render_template("rectification/ledger.html", form=form, tasks=tasks, today=today, args=args)


@staff_bp.get("/export.xlsx")
@staff_required
def export():
    form = LedgerFilterForm(formdata=request.args)
    form.fill_choices(unit_choices(_("All units")))
    form.validate()
    tasks = services.ledger_tasks(_ledger_filter(form))
    return _xlsx_response(ledger.workbook_bytes(tasks, masked=False), _export_name())


@staff_bp.get("/figures")
@staff_required
def figures():
    year = request.args.get("year", type=int)
    rows = services.unit_figures(year=year)
    rows = [r for r in rows if r.received or r.tasks]
    return render_template("rectification/figures.html", rows=rows, year=year, public=False)


@staff_bp.post("/route")
@staff_required
def route():
    form = RouteForm()
    form.unit_id.choices = unit_choices(_("Choose a unit"))
    item_id = request.form.get("item_id", type=int)
    if not item_id:
        abort(400)
    item = db.get_or_404(FeedbackItem, item_id)
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                flash(str(field.label.text) + ": " + str(error))
        return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
    try:
        task = services.route_items_to_unit(
            [item.id], form.unit_id.data, form.problem.data, form.requirement.data, current_user.id,
            task_id=form.task_id.data, deadline_workdays=form.deadline_workdays.data,
            first_answer_workdays=form.first_answer_workdays.data)
    except CalendarDataMissing as exc:
        db.session.rollback()
        flash(_("The working-day calendar has no holiday data for %(year)d. Ask an administrator to add it; the deadline cannot be counted.", year=exc.year))
        return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
    except services.RectificationError:
        db.session.rollback()
        flash(_("This report cannot be routed now (it is closed or already in an open task)."))
        return redirect(url_for("triage.item_detail", item_id=item.id), code=303)
    db.session.commit()
    flash(_("Routed to %(unit)s as task %(code)s.", unit=task.unit.display_name, code=task.code))
    if task.deadline_provisional:
        flash(_("The deadline is provisional: the holiday schedule for %(years)s is not known yet.",
                years=task.provisional_year_list))
    return redirect(url_for("rectification.task_detail", task_id=task.id), code=303)


def _staff_task_page(task: RectificationTask, status: int = 200, **forms):
    forms.setdefault("deadline_form", DeadlineForm(formdata=None, data={
        "deadline": task.deadline, "first_answer_due": task.first_answer_due}))
    forms.setdefault("decision_form", ExtensionDecisionForm(formdata=None))
    forms.setdefault("review_form", ReviewForm(formdata=None))
    forms.setdefault("action_form", ActionForm(formdata=None))
    return render_template("rectification/staff_task.html", task=task, today=services.local_today(),
                           **forms), status


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
        services.change_deadline(task, current_user.id, form.deadline.data, form.first_answer_due.data,
                                 note=form.note.data)
    except (services.RectificationError, CalendarDataMissing):
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
        services.decide_extension(extension, current_user.id, form.decision.data == "approve", form.note.data)
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
        task_id, attachment_id, services.release_attachment, _("The attachment is now visible to the unit.")
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
            services.return_task(task, current_user.id, form.note.data)
        else:
            services.confirm_closure(task, current_user.id, form.note.data)
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
        task_id, attachment_id, services.hide_attachment, _("The attachment is hidden from the unit again.")
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

    return render_template("rectification/calendar.html", form=form, schedules=calendar.schedules(),
                           missing=services.missing_calendar_years()), status


@staff_bp.get("/calendar")
@admin_required
def calendar_page():
    year = request.args.get("year", type=int)
    return _calendar_page(HolidayScheduleForm(formdata=None, data={"year": year}))


@staff_bp.post("/calendar")
@admin_required
def save_calendar():
    from intake.rectification.calendar import ScheduleError

    form = HolidayScheduleForm()
    if not form.validate_on_submit():
        return _calendar_page(form, 400)
    try:
        changed = services.save_holiday_schedule(form.year.data, form.holidays.data, form.workdays.data or "",
                                                 current_user.id, form.notice.data)
    except ScheduleError as exc:
        db.session.rollback()
        for code, value in exc.problems:
            target = form.workdays if code == "workday_not_weekend" else form.holidays
            target.errors.append(str(SCHEDULE_PROBLEMS[code] % {"value": value}))
        return _calendar_page(form, 400)
    db.session.commit()
    flash(_("The holiday schedule for %(year)d is saved; %(n)d provisional deadline(s) recomputed.",
            year=form.year.data, n=len(changed)))
    return redirect(url_for("rectification.calendar_page"), code=303)


@staff_bp.get("/files/<int:file_id>")
@staff_required
def staff_file(file_id: int):
    evidence = db.get_or_404(EvidenceFile, file_id)
    return _send_stored(evidence.stored_name, evidence.content_type, evidence.original_name)


# --- the unit's portal ---------------------------------------------------------------------------

def _liaison_task(task_id: int) -> RectificationTask:
    task = services.task_for_user(task_id, current_user)
    if task is None:
        abort(404)  # another unit's task does not exist for this liaison
    return task


def _unit_task_page(task: RectificationTask, status: int = 200, **forms):
    forms.setdefault("sign_form", SignForm(formdata=None))
    forms.setdefault("progress_form", ProgressForm(formdata=None))
    forms.setdefault("extension_form", ExtensionForm(formdata=None))
    forms.setdefault("completion_form", CompletionForm(formdata=None))
    return render_template("rectification/unit_task.html", task=task, today=services.local_today(),
                           **forms), status


@unit_bp.get("/")
@liaison_required
def unit_tasks():
    tasks = services.ledger_tasks(services.LedgerFilter(unit_id=current_user.unit_id))
    services.record_unit_read(current_user, ReadKind.list, client_ip=request.remote_addr)
    db.session.commit()
    return render_template("rectification/unit_list.html", tasks=tasks, today=services.local_today())


@unit_bp.get("/export.xlsx")
@liaison_required
def unit_export():
    tasks = services.ledger_tasks(services.LedgerFilter(unit_id=current_user.unit_id))
    services.record_unit_read(current_user, ReadKind.export, client_ip=request.remote_addr)
    db.session.commit()
    return _xlsx_response(ledger.workbook_bytes(tasks, masked=True), _export_name())


@unit_bp.get("/tasks/<int:task_id>")
@liaison_required
def task_detail(task_id: int):
    task = _liaison_task(task_id)
    services.record_unit_read(current_user, ReadKind.task, task_id=task.id, client_ip=request.remote_addr)
    db.session.commit()
    return _unit_task_page(task)


def _unit_step(task_id: int, form_name: str, form, action):
    task = _liaison_task(task_id)
    if not form.validate_on_submit():
        return _unit_task_page(task, 400, **{form_name: form})
    try:
        action(task, form)
    except services.RectificationError as exc:
        db.session.rollback()
        task = _liaison_task(task_id)
        flash(_("This step is not possible in the task's current state.") if isinstance(
            exc, services.TaskTransitionError) else _("Please check what you entered."))
        return _unit_task_page(task, 409, **{form_name: form})
    db.session.commit()
    flash(_("Saved."))
    return redirect(url_for("unit.task_detail", task_id=task.id), code=303)


@unit_bp.post("/tasks/<int:task_id>/sign")
@liaison_required
def sign(task_id: int):
    return _unit_step(task_id, "sign_form", SignForm(), lambda task, form: services.sign_task(
        task, current_user.id, measures=form.measures.data, responsible_person=form.responsible_person.data,
        note=form.note.data))


@unit_bp.post("/tasks/<int:task_id>/progress")
@liaison_required
def progress(task_id: int):
    return _unit_step(task_id, "progress_form", ProgressForm(), lambda task, form: services.post_progress(
        task, current_user.id, form.note.data, _uploads(form.files)))


@unit_bp.post("/tasks/<int:task_id>/extension")
@liaison_required
def extension(task_id: int):
    return _unit_step(task_id, "extension_form", ExtensionForm(), lambda task, form: services.request_extension(
        task, current_user.id, form.requested_deadline.data, form.reason.data))


@unit_bp.post("/tasks/<int:task_id>/complete")
@liaison_required
def complete(task_id: int):
    return _unit_step(task_id, "completion_form", CompletionForm(), lambda task, form: services.report_completion(
        task, current_user.id, form.completion_report.data, _uploads(form.completion_files)))


@unit_bp.get("/tasks/<int:task_id>/files/<int:file_id>")
@liaison_required
def unit_file(task_id: int, file_id: int):
    task = _liaison_task(task_id)
    evidence = db.session.get(EvidenceFile, file_id)
    # Members' visit photos may show people: the unit gets its own evidence only.
    if evidence is None or evidence.task_id != task.id or evidence.kind is not EvidenceKind.evidence:
        abort(404)
    services.record_unit_read(current_user, ReadKind.evidence, task_id=task.id, object_id=file_id,
                              client_ip=request.remote_addr)
    db.session.commit()
    index = [f.id for f in task.files].index(file_id) + 1
    return _send_stored(evidence.stored_name, evidence.content_type,
                        masked_file_name(task.code, index, evidence.original_name))


@unit_bp.get("/tasks/<int:task_id>/attachments/<int:attachment_id>")
@liaison_required
def unit_attachment(task_id: int, attachment_id: int):
    task = _liaison_task(task_id)
    attachment = services.released_attachment(task, attachment_id)
    if attachment is None:
        abort(404)
    services.record_unit_read(current_user, ReadKind.attachment, task_id=task.id, object_id=attachment_id,
                              client_ip=request.remote_addr)
    db.session.commit()
    # The original name may carry the reporter's name: the unit gets a neutral one.
    return _send_stored(attachment.stored_name, attachment.content_type,
                        masked_file_name(task.code + "-att", attachment.id, attachment.original_name))


# --- members verify -------------------------------------------------------------------------------

@member_bp.get("/")
@verifier_required
def member_tasks():
    waiting = services.ledger_tasks(services.LedgerFilter(status=TaskStatus.reported_done.value))
    waiting += services.ledger_tasks(services.LedgerFilter(status=TaskStatus.verifying.value))
    tasks = services.ledger_tasks(services.LedgerFilter(status="open"))
    return render_template("rectification/member_list.html", waiting=waiting, tasks=tasks,
                           today=services.local_today())


def _member_task_page(task: RectificationTask, status: int = 200, visit_form=None):
    visit_form = visit_form or VisitForm(formdata=None, data={"visited_on": services.local_today()})
    return render_template("rectification/member_task.html", task=task, visit_form=visit_form,
                           today=services.local_today()), status


@member_bp.get("/tasks/<int:task_id>")
@verifier_required
def member_task(task_id: int):
    return _member_task_page(db.get_or_404(RectificationTask, task_id))


@member_bp.post("/tasks/<int:task_id>/visit")
@verifier_required
def visit(task_id: int):
    task = db.get_or_404(RectificationTask, task_id)
    form = VisitForm()
    if not form.validate_on_submit():
        return _member_task_page(task, 400, form)
    try:
        services.record_visit(task, current_user.id, visited_on=form.visited_on.data, visitors=form.visitors.data,
                              findings=form.findings.data, outcome=VisitOutcome(form.outcome.data),
                              reasons=form.reasons.data, photos=_uploads(form.photos))
    except services.RectificationError:
        db.session.rollback()
        flash(_("This step is not possible in the task's current state."))
        return _member_task_page(db.get_or_404(RectificationTask, task_id), 409, form)
    db.session.commit()
    notify.dispatch_closure_notices(notify.pending_closure_notice_ids(task_id=task_id))
    flash(_("Verification recorded."))
    return redirect(url_for("verification.member_task", task_id=task_id), code=303)


@member_bp.get("/tasks/<int:task_id>/files/<int:file_id>")
@verifier_required
def member_file(task_id: int, file_id: int):
    evidence = db.get_or_404(EvidenceFile, file_id)
    if evidence.task_id != task_id:
        abort(404)
    return _send_stored(evidence.stored_name, evidence.content_type,
                        masked_file_name(evidence.task.code, file_id, evidence.original_name))


# --- public: the reporter's verdict and each supervised unit's figures ---------------------------

LOOKUP_FAILURE_LIMIT = 20
LOOKUP_WINDOW_SECONDS = 15 * 60


@public_bp.post("/track/<code>/rating")
def rate(code: str):
    client = request.remote_addr or "unknown"
    secret = request.form.get("s", "")
    if ratelimit.too_many_failures("lookup", client, LOOKUP_FAILURE_LIMIT):
        abort(429)
    item = feedback_services.find_by_tracking(code, secret)
    if item is None:
        ratelimit.record_failure("lookup", client, LOOKUP_WINDOW_SECONDS)
        abort(404)
    form = RatingForm()
    status_url = url_for("feedback.status", code=item.tracking_code, s=item.lookup_secret)
    if not form.validate_on_submit():
        flash(_("Choose one of the three answers."))
        return redirect(status_url, code=303)
    try:
        rating = services.rate_outcome(item, Satisfaction(form.grade.data), form.comment.data)
    except services.RectificationError:
        db.session.rollback()
        flash(_("This outcome has already been rated."))
        return redirect(status_url, code=303)
    task_id = rating.task_id
    db.session.commit()
    notify.dispatch_reminders(notify.unsent_reminder_ids(task_id=task_id))
    flash(_("Thank you. Your rating has been recorded."))
    response = redirect(status_url, code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@public_bp.get("/units/")
def public_units():
    units = program_services.supervised_units()
    rows = services.unit_figures(unit_ids=[u.id for u in units]) if units else []
    return render_template("rectification/figures.html", rows=rows, year=None, public=True)


@public_bp.get("/units/<code>")
def public_unit(code: str):
    # A unit's public figures exist while it is under listed supervision: in the year asked
    # for, or (without one) in the latest cycle that lists units.
    year = request.args.get("year", type=int)
    unit = db.session.scalar(db.select(Unit).where(
        Unit.code == code, Unit.id.in_(program_services.supervised_unit_ids_query(year))))
    if unit is None:
        abort(404)
    rows = services.unit_figures(year=year, unit_ids=[unit.id])
    return render_template("rectification/figures.html", rows=rows, year=year, public=True, unit=unit)
