"""Routes of the year's outcome: results per unit, the opinions staff hand over, the notices
(通报) and plaques; the members' view of each unit (知情明政); a liaison's own notice once
issued; the public page of a unit (grade, figures, rectification record, never names)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from intake.appraisal import member_bp, public_bp, staff_bp, unit_bp
from intake.appraisal.facts import year_facts
from intake.appraisal.forms import ConfirmForm
from intake.appraisal.models import HandedOpinion, OpinionSource
from intake.appraisal.services import AppraisalError, opinions
from intake.appraisal.services import notices as notice_docs
from intake.appraisal.services.results import latest_result
from intake.core.downloads import send_generated, send_stored
from intake.extensions import db
from intake.printing.pdf import PrintingUnavailable
from intake.program import plans
from intake.program import services as program
from intake.program.groups import meetings_of
from intake.program.models import CycleUnit, SupervisionCycle
from intake.program.plan_models import SelfInspectionReport
from intake.rectification.masking import mask_text
from intake.security import liaison_required, member_required, staff_required
from intake.timeutil import local_today


def _cycle_unit_or_404(cycle_unit_id: int) -> CycleUnit:
    cu = db.session.get(CycleUnit, cycle_unit_id)
    if cu is None:
        abort(404)
    return cu


def _cycle_or_404(year: int) -> SupervisionCycle:
    cycle = program.get_cycle(year)
    if cycle is None:
        abort(404)
    return cycle


def _pdf(make, name: str):
    try:
        data = make()
    except PrintingUnavailable:
        abort(503)
    return send_generated(data, "application/pdf", name)


# --- staff ------------------------------------------------------------------------------------


@staff_bp.get("/year/<int:year>")
@staff_required
def year_page(year: int):
    cycle = _cycle_or_404(year)
    rows = [(cu, latest_result(cu.id), opinions.notice_of(cu.id)) for cu in cycle.units]
    return render_template("appraisal/year.html", cycle=cycle, rows=rows)


@staff_bp.get("/year/<int:year>/notice.<any(html, pdf):fmt>")
@staff_required
def county_notice(year: int, fmt: str):
    cycle = _cycle_or_404(year)
    if fmt == "pdf":
        return _pdf(lambda: notice_docs.county_notice_pdf(cycle), f"county-notice-{year}.pdf")
    return render_template("appraisal/notice_county.html", for_print=False, **notice_docs.county_notice(cycle))


def _unit_page(cu: CycleUnit, status: int = 200, error: str | None = None, opinion_text: str = ""):
    return render_template(
        "appraisal/unit.html",
        cu=cu,
        result=latest_result(cu.id),
        notice=opinions.notice_of(cu.id),
        opinions=opinions.opinions_of(cu.id),
        items=year_facts(cu).items,
        handed_item_ids={
            o.source_ref for o in opinions.opinions_of(cu.id) if o.source is OpinionSource.item and o.source_ref
        },
        mask=mask_text,
        confirm=ConfirmForm(),
        error=error,
        opinion_text=opinion_text,
    ), status


@staff_bp.get("/units/<int:cycle_unit_id>")
@staff_required
def unit_page(cycle_unit_id: int):
    return _unit_page(_cycle_unit_or_404(cycle_unit_id))


def _back(cu: CycleUnit):
    return redirect(url_for("appraisal.unit_page", cycle_unit_id=cu.id), 303)


def _step(cu: CycleUnit, action, done_message: str | None = None):
    """Run one service step for the unit's page: commit and go back, or show why not (400)."""
    try:
        action()
    except AppraisalError as exc:
        db.session.rollback()
        return _unit_page(cu, 400, str(exc))
    db.session.commit()
    if done_message:
        flash(done_message)
    return _back(cu)


@staff_bp.post("/units/<int:cycle_unit_id>/opinions")
@staff_required
def opinion_add(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    text = request.form.get("text", "")
    if not ConfirmForm().validate_on_submit():
        return _unit_page(cu, 400, _("The form expired. Please submit again."), text)
    try:
        opinions.add_opinion(cu, opinions.OpinionInput(OpinionSource.staff, text), current_user.id)
    except AppraisalError as exc:
        db.session.rollback()
        return _unit_page(cu, 400, str(exc), text)
    db.session.commit()
    return _back(cu)


@staff_bp.post("/units/<int:cycle_unit_id>/opinions/items/<int:item_id>")
@staff_required
def opinion_from_item(cycle_unit_id: int, item_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    return _step(cu, lambda: opinions.add_item_opinion(cu, item_id, current_user.id))


@staff_bp.post("/opinions/<int:opinion_id>/delete")
@staff_required
def opinion_delete(opinion_id: int):
    opinion = db.session.get(HandedOpinion, opinion_id)
    if opinion is None:
        abort(404)
    return _step(opinion.cycle_unit, lambda: opinions.remove_opinion(opinion))


@staff_bp.post("/units/<int:cycle_unit_id>/issue")
@staff_required
def notice_issue(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    return _step(
        cu,
        lambda: opinions.issue_notice(cu, current_user.id),
        _("The notice was issued; the unit's liaison can read it now."),
    )


@staff_bp.post("/units/<int:cycle_unit_id>/tasks")
@staff_required
def tasks_open(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    chosen = {}
    for value in request.form.getlist("opinion"):
        if not value.isdigit() or len(value) > 12:
            return _unit_page(cu, 400, _("An opinion chosen is not open for a task."))
        chosen[int(value)] = request.form.get(f"requirement-{value}", "")[:2000]
    try:
        tasks = opinions.open_tasks(cu, chosen, current_user.id, current_app.config["TRACKING_PREFIX"])
    except AppraisalError as exc:
        db.session.rollback()
        return _unit_page(cu, 400, str(exc))
    db.session.commit()
    flash(_("%(n)d rectification task(s) opened: %(codes)s", n=len(tasks), codes=" ".join(t.code for t in tasks)))
    return _back(cu)


@staff_bp.get("/units/<int:cycle_unit_id>/notice.<any(html, pdf):fmt>")
@staff_required
def unit_notice(cycle_unit_id: int, fmt: str):
    return _notice(_cycle_unit_or_404(cycle_unit_id), fmt)


def _notice(cu: CycleUnit, fmt: str):
    if fmt == "pdf":
        return _pdf(lambda: notice_docs.unit_notice_pdf(cu), f"notice-{cu.cycle.year}-{cu.unit.code}.pdf")
    return render_template("appraisal/notice_unit.html", c=notice_docs.unit_notice(cu), for_print=False)


@staff_bp.get("/units/<int:cycle_unit_id>/plaque.pdf")
@staff_required
def plaque(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    if latest_result(cu.id) is None:
        abort(404)
    return _pdf(lambda: notice_docs.plaque_pdf(cu), f"plaque-{cu.cycle.year}-{cu.unit.code}.pdf")


# --- members: 知情明政 --------------------------------------------------------------------------


def _latest_cycle() -> SupervisionCycle | None:
    return db.session.scalars(
        select(SupervisionCycle).join(CycleUnit).order_by(SupervisionCycle.year.desc()).limit(1)
    ).first()


@member_bp.get("/units")
@member_required
def units():
    cycle = _latest_cycle()
    return render_template("appraisal/member_units.html", cycle=cycle, units=cycle.units if cycle else [])


@member_bp.get("/units/<int:cycle_unit_id>")
@member_required
def unit_facts(cycle_unit_id: int):
    cu = _cycle_unit_or_404(cycle_unit_id)
    plan = plans.plan_of(cu.id)
    return render_template(
        "appraisal/member_unit.html",
        cu=cu,
        facts=year_facts(cu),
        plan=plan.approved if plan else None,
        reports=plans.reports_of(cu.id),
        meetings=meetings_of(cu.id),
        mask=mask_text,
        today=local_today(),
    )


@member_bp.get("/reports/<int:report_id>")
@member_required
def self_report(report_id: int):
    report = db.session.get(SelfInspectionReport, report_id)
    if report is None:
        abort(404)
    return send_stored(report.stored_name, report.content_type, report.original_name)


# --- the unit's liaison -----------------------------------------------------------------------


def _own_issued(cycle_unit_id: int) -> CycleUnit:
    cu = db.session.get(CycleUnit, cycle_unit_id)
    if cu is None or cu.unit_id != current_user.unit_id or opinions.notice_of(cu.id) is None:
        abort(404)
    return cu


@unit_bp.get("/")
@liaison_required
def unit_notices():
    rows = [
        (cu, opinions.notice_of(cu.id))
        for cu in db.session.scalars(select(CycleUnit).where(CycleUnit.unit_id == current_user.unit_id))
    ]
    return render_template("appraisal/unit_notices.html", rows=[(cu, n) for cu, n in rows if n is not None])


@unit_bp.get("/<int:cycle_unit_id>/notice.<any(html, pdf):fmt>")
@liaison_required
def liaison_notice(cycle_unit_id: int, fmt: str):
    return _notice(_own_issued(cycle_unit_id), fmt)


# --- public -----------------------------------------------------------------------------------


@public_bp.get("/<int:year>/units/<code>")
def unit_public(year: int, code: str):
    from intake.appraisal.facts import cycle_unit_of

    if len(code) > 32:
        abort(404)
    cu = cycle_unit_of(year, code)
    if cu is None:
        abort(404)
    facts = year_facts(cu)
    # The grade is public once the notice is issued; the figures and the record always.
    result = latest_result(cu.id) if opinions.notice_of(cu.id) is not None else None
    return render_template("appraisal/public_unit.html", cu=cu, facts=facts, result=result, mask=mask_text)
