"""Routes of the annual program: thin; each reads input, calls one service, commits, renders.

Staff pages (/staff/program) need an admin or staff account; the lottery's record per year
(/program/<year>, draw.json) is public, as a lottery anyone can verify must be."""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError

from intake.extensions import db
from intake.program import public_bp, services, staff_bp
from intake.program.forms import CommitForm, ConfirmForm, CycleForm, DrawForm, StageForm
from intake.program.lottery import FORMAT_DIGIT
from intake.program.models import CycleStage, SupervisionCycle
from intake.security import staff_required


@staff_bp.app_template_global()
def program_late_stages() -> list[CycleStage]:
    """Stages past their due date (the dashboard's banner)."""
    return services.late_stages()


def _no_cycle(year: int):
    message = _("There is no supervision cycle for %(year)d.", year=year)
    return render_template("error.html", code=404, title=_("Not found"), message=message), 404


def _cycle_or_none(year: int) -> SupervisionCycle | None:
    return services.get_cycle(year) if 2000 <= year <= 2100 else None


def exclusions_from(form) -> dict[str, str]:
    """Units left out of the pool: each eligible unit's reason field, when filled in."""
    reasons = {}
    for unit in services.eligible_units():
        reason = (form.get("exclude-" + unit.code) or "").strip()
        if reason:
            reasons[unit.code] = reason[:500]
    return reasons


def _concurrent_change(year: int):
    """Someone else committed or drew at the same moment: the unique keys or the sealed_*
    triggers refused this one. The page shows what is there now."""
    db.session.rollback()
    flash(_("Someone else changed the lottery at the same moment. Reload the page to see it."))
    return _render_cycle(services.get_cycle(year), 409)


def _render_cycle(cycle: SupervisionCycle, status: int = 200, **forms):
    stage_forms = {
        s.id: StageForm(prefix=f"s{s.id}", formdata=None, owner=s.owner, due_on=s.due_on) for s in cycle.stages
    }
    stage_forms.update(forms.pop("stage_forms", {}))
    items, tasks = services.cycle_counts(cycle.year)
    return render_template(
        "program/cycle.html",
        cycle=cycle,
        rows=services.timeline(cycle),
        stage_forms=stage_forms,
        commit_form=forms.get("commit_form") or CommitForm(formdata=None),
        draw_form=forms.get("draw_form") or DrawForm(formdata=None),
        confirm=ConfirmForm(),
        eligible=services.eligible_units(),
        record=services.draw_record(cycle),
        item_count=items,
        task_count=tasks,
        format_digit=FORMAT_DIGIT,
    ), status


# --- staff ------------------------------------------------------------------------------------


@staff_bp.route("/", methods=["GET", "POST"])
@staff_required
def cycle_list():
    form = CycleForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                cycle = services.create_cycle(form.year.data, form.starts_on.data, actor_id=current_user.id)
                db.session.commit()
            except services.ProgramError as exc:
                db.session.rollback()
                form.form_errors.append(str(exc))
            except DBAPIError:  # created by someone else at the same moment
                db.session.rollback()
                form.form_errors.append(_("There is already a supervision cycle for this year."))
            else:
                flash(_("The supervision cycle was created."))
                return redirect(url_for("program.cycle_page", year=cycle.year), code=303)
        status = 400
    else:
        status = 200
    return render_template("program/cycles.html", cycles=services.cycles(), form=form), status


@staff_bp.get("/<int:year>")
@staff_required
def cycle_page(year: int):
    cycle = _cycle_or_none(year)
    if cycle is None:
        return _no_cycle(year)
    return _render_cycle(cycle)


@staff_bp.post("/<int:year>/stages/<int:stage_id>")
@staff_required
def stage_edit(year: int, stage_id: int):
    cycle = _cycle_or_none(year)
    stage = db.session.get(CycleStage, stage_id)
    if cycle is None or stage is None or stage.cycle_id != cycle.id:
        return _no_cycle(year)
    form = StageForm(prefix=f"s{stage.id}")
    if not form.validate_on_submit():
        return _render_cycle(cycle, 400, stage_forms={stage.id: form})
    services.update_stage(stage.id, form.owner.data, form.due_on.data)
    db.session.commit()
    flash(_("The stage was saved."))
    return redirect(url_for("program.cycle_page", year=year), code=303)


@staff_bp.post("/<int:year>/stages/<int:stage_id>/done")
@staff_required
def stage_done(year: int, stage_id: int):
    cycle = _cycle_or_none(year)
    stage = db.session.get(CycleStage, stage_id)
    if cycle is None or stage is None or stage.cycle_id != cycle.id:
        return _no_cycle(year)
    if not ConfirmForm().validate_on_submit():
        return _render_cycle(cycle, 400)
    services.mark_stage_done(stage.id)
    db.session.commit()
    flash(_("The stage is marked done."))
    return redirect(url_for("program.cycle_page", year=year), code=303)


@staff_bp.post("/<int:year>/commit")
@staff_required
def draw_commit(year: int):
    cycle = _cycle_or_none(year)
    if cycle is None:
        return _no_cycle(year)
    form = CommitForm()
    if not form.validate_on_submit():
        return _render_cycle(cycle, 400, commit_form=form)
    try:
        services.commit_draw(
            year,
            form.count.data,
            form.beacon_source.data,
            form.beacon_format.data or "",
            exclusions_from(request.form),
            form.correction_reason.data,
            actor_id=current_user.id,
        )
        db.session.commit()
    except services.ProgramError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return _render_cycle(cycle, 400, commit_form=form)
    except DBAPIError:
        return _concurrent_change(year)
    flash(_("The draw is committed and public. It can no longer be changed."))
    return redirect(url_for("program.cycle_page", year=year), code=303)


@staff_bp.post("/<int:year>/draw")
@staff_required
def draw_run(year: int):
    cycle = _cycle_or_none(year)
    if cycle is None:
        return _no_cycle(year)
    form = DrawForm()
    if not form.validate_on_submit():
        return _render_cycle(cycle, 400, draw_form=form)
    try:
        services.run_draw(year, form.beacon.data, actor_id=current_user.id)
        db.session.commit()
    except services.ProgramError as exc:
        db.session.rollback()
        form.beacon.errors = [str(exc)]
        return _render_cycle(cycle, 400, draw_form=form)
    except DBAPIError:
        return _concurrent_change(year)
    flash(_("The lottery is drawn. The drawn units are this year's units under listed supervision."))
    return redirect(url_for("program.cycle_page", year=year), code=303)


# --- public -----------------------------------------------------------------------------------


@public_bp.get("/")
def public_years():
    return render_template("program/public_years.html", cycles=services.cycles())


@public_bp.get("/<int:year>")
def public_cycle(year: int):
    cycle = _cycle_or_none(year)
    if cycle is None:
        return _no_cycle(year)
    return render_template(
        "program/public_cycle.html",
        cycle=cycle,
        record=services.draw_record(cycle),
        units=services.supervised_units(year),
        format_digit=FORMAT_DIGIT,
    )


@public_bp.get("/<int:year>/draw.json")
def draw_json(year: int):
    cycle = _cycle_or_none(year)
    if cycle is None:
        response = jsonify(error=_("There is no supervision cycle for %(year)d.", year=year))
        return response, 404
    response = jsonify(services.draw_record(cycle))
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may verify, from anywhere
    return response
