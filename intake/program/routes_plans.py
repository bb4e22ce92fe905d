"""Routes of the implementation plans and self-inspection reports: thin; each reads input,
calls one service, commits, renders. Staff read and edit every plan; a liaison reads only the
approved plan and the reports of their own unit: anything else is a 404, never a hint."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from intake.core.downloads import send_generated, send_stored
from intake.core.params import arg_year
from intake.extensions import db
from intake.feedback.services import UploadInput
from intake.printing.pdf import PrintingUnavailable
from intake.program import plans
from intake.program.forms_plans import ApproveForm, PlanForm, ReportForm
from intake.program.models import SupervisionCycle
from intake.program.plan_export import file_stem, plan_docx, plan_pdf
from intake.program.plan_models import ImplementationPlan
from intake.program.plan_web import staff_plans_bp, unit_program_bp
from intake.security import liaison_required, staff_required
from intake.uploads import ALLOWED_TYPES, extension_of, safe_display_name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def export(version, fmt: str):
    if fmt == "docx":
        return send_generated(plan_docx(version), DOCX, file_stem(version) + ".docx")
    try:
        pdf = plan_pdf(version)
    except PrintingUnavailable:
        abort(503)
    return send_generated(pdf, "application/pdf", file_stem(version) + ".pdf")


def _cycle_from_args() -> SupervisionCycle | None:
    year = arg_year("year")
    query = select(SupervisionCycle)
    query = query.where(SupervisionCycle.year == year) if year else query.order_by(SupervisionCycle.year.desc())
    return db.session.scalars(query.limit(1)).first()


def _plan_or_404(plan_id: int) -> ImplementationPlan:
    plan = db.session.get(ImplementationPlan, plan_id)
    if plan is None:
        abort(404)
    return plan


def _fill(form: PlanForm, version) -> None:
    content = plans.PlanContent.of(version)
    for name in ("title",) + plans.SECTIONS:
        getattr(form, name).data = getattr(content, name)
    form.leading_group.data = plans.format_leading_group(content.leading_group)


# --- staff ---------------------------------------------------------------------------------


@staff_plans_bp.get("/plans")
@staff_required
def plan_list():
    from intake.program import groups

    cycle = _cycle_from_args()
    cycles = db.session.scalars(select(SupervisionCycle).order_by(SupervisionCycle.year.desc())).all()
    rows = []
    if cycle is not None:
        for cu, plan in plans.plans_of_cycle(cycle.id):
            rows.append(
                {
                    "cu": cu,
                    "plan": plan,
                    "group": groups.group_of(cu.id),
                    "meetings": len(groups.meetings_of(cu.id)),
                    "reports": plans.reports_of(cu.id),
                }
            )
    return render_template("program/plan_list.html", cycle=cycle, cycles=cycles, rows=rows)


@staff_plans_bp.post("/units/<int:cycle_unit_id>/plan")
@staff_required
def plan_start(cycle_unit_id: int):
    if plans.cycle_unit(cycle_unit_id) is None:
        abort(404)
    plan = plans.start_plan(cycle_unit_id, current_user.id)
    db.session.commit()
    return redirect(url_for("program_plans.plan_edit", plan_id=plan.id), 303)


@staff_plans_bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@staff_required
def plan_edit(plan_id: int):
    plan = _plan_or_404(plan_id)
    form = PlanForm()
    if request.method == "GET":
        _fill(form, plan.latest)
    elif form.validate_on_submit():
        content = plans.PlanContent(
            title=form.title.data,
            leading_group=plans.parse_leading_group(form.leading_group.data),
            **{name: getattr(form, name).data or "" for name in plans.SECTIONS},
        )
        try:
            version = plans.save_plan(plan, content, current_user.id, form.change_note.data)
            db.session.commit()
        except DBAPIError:  # another save took the same version number at the same moment
            db.session.rollback()
            form.form_errors.append(
                _("Someone else saved this plan at the same moment. Copy your text, reload, and save again.")
            )
            return render_template(
                "program/plan_edit.html", plan=plan, form=form, approve_form=ApproveForm(), cu=plan.cycle_unit
            ), 409
        flash(_("Saved as version %(n)d.", n=version.number))
        return redirect(url_for("program_plans.plan_edit", plan_id=plan.id), 303)
    status = 400 if form.errors else 200
    return render_template(
        "program/plan_edit.html", plan=plan, form=form, approve_form=ApproveForm(), cu=plan.cycle_unit
    ), status


@staff_plans_bp.post("/plans/<int:plan_id>/approve")
@staff_required
def plan_approve(plan_id: int):
    plan = _plan_or_404(plan_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        version = plans.approve_plan(plan, form.version.data, current_user.id)
        db.session.commit()
    except (plans.PlanError, DBAPIError):  # not the newest, or approved by someone else just now
        db.session.rollback()
        flash(_("Only the newest version can be approved, once. Reload the page and look again."))
        return redirect(url_for("program_plans.plan_edit", plan_id=plan.id), 303)
    flash(_("Version %(n)d approved.", n=version.number))
    return redirect(url_for("program_plans.plan_edit", plan_id=plan.id), 303)


@staff_plans_bp.get("/plans/<int:plan_id>/v<int:number>")
@staff_required
def plan_version(plan_id: int, number: int):
    version = plans.readable_version(current_user, plan_id, number)
    if version is None:
        abort(404)
    return render_template(
        "program/plan_view.html",
        version=version,
        cu=version.plan.cycle_unit,
        docx_url=url_for("program_plans.plan_export", plan_id=plan_id, number=number, fmt="docx"),
        pdf_url=url_for("program_plans.plan_export", plan_id=plan_id, number=number, fmt="pdf"),
    )


@staff_plans_bp.get("/plans/<int:plan_id>/v<int:number>.<any(docx, pdf):fmt>")
@staff_required
def plan_export(plan_id: int, number: int, fmt: str):
    return _export_readable(plan_id, fmt, number)


@staff_plans_bp.get("/reports/<int:report_id>")
@staff_required
def report_file(report_id: int):
    return _report_download(report_id)


def _export_readable(plan_id: int, fmt: str, number: int | None = None):
    """The plan version as Word or PDF, if this user may read it (a liaison: their own unit's
    approved plan only); 404 otherwise, whether it exists or not."""
    version = plans.readable_version(current_user, plan_id, number)
    if version is None:
        abort(404)
    return export(version, fmt)


def _report_download(report_id: int):
    """A self-inspection report, if this user may read it (404 otherwise)."""
    report = plans.readable_report(current_user, report_id)
    if report is None:
        abort(404)
    return send_stored(report.stored_name, report.content_type, report.original_name)


# --- the unit's liaison ------------------------------------------------------------------------


@unit_program_bp.get("/")
@liaison_required
def unit_home():
    rows = [
        {"cu": cu, "plan": plans.plan_of(cu.id), "reports": plans.reports_of(cu.id)}
        for cu in plans.unit_cycle_units(current_user.unit_id)
    ]
    return render_template("program/unit_home.html", rows=rows, form=ReportForm())


@unit_program_bp.post("/<int:cycle_unit_id>/reports")
@liaison_required
def report_upload(cycle_unit_id: int):
    cu = plans.cycle_unit(cycle_unit_id)
    if cu is None or not plans.may_read_unit(current_user, cu):
        abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        rows = [
            {"cu": c, "plan": plans.plan_of(c.id), "reports": plans.reports_of(c.id)}
            for c in plans.unit_cycle_units(current_user.unit_id)
        ]
        return render_template("program/unit_home.html", rows=rows, form=form, failed_cu=cu.id), 400
    storage = form.report.data
    upload = UploadInput(
        filename=safe_display_name(storage.filename),
        content_type=ALLOWED_TYPES[extension_of(storage.filename)],
        stream=storage.stream,
    )
    plans.upload_self_report(cu, current_user.id, upload, form.note.data)
    db.session.commit()
    flash(_("The self-inspection report was uploaded."))
    return redirect(url_for("unit_program.unit_home"), 303)


@unit_program_bp.get("/plans/<int:plan_id>")
@liaison_required
def unit_plan(plan_id: int):
    version = plans.readable_version(current_user, plan_id)
    if version is None:
        abort(404)
    return render_template(
        "program/plan_view.html",
        version=version,
        cu=version.plan.cycle_unit,
        docx_url=url_for("unit_program.unit_plan_export", plan_id=plan_id, fmt="docx"),
        pdf_url=url_for("unit_program.unit_plan_export", plan_id=plan_id, fmt="pdf"),
    )


@unit_program_bp.get("/plans/<int:plan_id>.<any(docx, pdf):fmt>")
@liaison_required
def unit_plan_export(plan_id: int, fmt: str):
    return _export_readable(plan_id, fmt)


@unit_program_bp.get("/reports/<int:report_id>")
@liaison_required
def unit_report_file(report_id: int):
    return _report_download(report_id)
