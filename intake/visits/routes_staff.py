"""Staff's visit pages: the year's visits per unit and per member with the checklist figures,
the checklist editor of a year, and the conflicts (a second version under a known UUID)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.auth.models import User
from intake.extensions import db
from intake.feedback.jobs import dispatch_items
from intake.program.models import SupervisionCycle
from intake.program.services import cycles, get_cycle
from intake.reference.models import Unit
from intake.security import staff_required
from intake.visits import checklists, figures, services
from intake.visits import staff_visits_bp as bp
from intake.visits.forms import ChecklistForm, ResolveForm
from intake.visits.models import ConflictResolution, VisitConflict


def _cycle_or_404(year: int) -> SupervisionCycle:
    cycle = get_cycle(year)
    if cycle is None:
        abort(404)
    return cycle


@bp.get("/")
@staff_required
def overview_latest():
    cycle = services.current_cycle()
    if cycle is None:
        return render_template("visits/staff_overview.html", cycle=None, cycles=[])
    return overview(cycle.year)


@bp.get("/<int:year>")
@staff_required
def overview(year: int):
    cycle = _cycle_or_404(year)
    return render_template(
        "visits/staff_overview.html",
        cycle=cycle,
        cycles=cycles(),
        total=figures.year_figures(cycle),
        units=figures.per_unit(cycle),
        members=figures.per_member(cycle),
        open_conflicts=sum(1 for c in services.open_conflicts() if c.resolution is None),
    )


@bp.get("/<int:year>/units/<int:unit_id>")
@staff_required
def unit_visits(year: int, unit_id: int):
    cycle = _cycle_or_404(year)
    unit = db.session.get(Unit, unit_id) or abort(404)
    visits = figures.visits_of(cycle, unit)
    return render_template(
        "visits/staff_list.html", cycle=cycle, title=unit.display_name, visits=visits, total=figures.figures_of(visits)
    )


@bp.get("/<int:year>/members/<int:user_id>")
@staff_required
def member_visits(year: int, user_id: int):
    cycle = _cycle_or_404(year)
    member = db.session.get(User, user_id) or abort(404)
    visits = figures.visits_of(cycle, member_id=member.id)
    return render_template(
        "visits/staff_list.html",
        cycle=cycle,
        title=member.display_name,
        visits=visits,
        total=figures.figures_of(visits),
    )


@bp.route("/<int:year>/checklist", methods=["GET", "POST"])
@staff_required
def checklist_edit(year: int):
    cycle = _cycle_or_404(year)
    form = ChecklistForm()
    if not form.is_submitted():
        items = checklists.checklist_of(cycle.id)
        form = ChecklistForm(data={"rows": [{"key": i.key, "label": i.label, "kind": i.kind.value} for i in items]})
        for _n in range(2):  # room for new questions
            form.rows.append_entry({"key": "", "label": "", "kind": "yesno"})
    elif form.validate():
        rows = [(r.form.key.data, r.form.kind.data, r.form.label.data) for r in form.rows]
        try:
            checklists.save_checklist(cycle.id, rows, current_user.id)
        except checklists.ChecklistError:
            form.form_errors.append(_("Each new question needs its text; a checklist has 1 to 20 questions."))
        else:
            db.session.commit()
            flash(_("The checklist of %(year)d was saved.", year=cycle.year))
            return redirect(url_for("staff_visits.checklist_edit", year=cycle.year), 303)
    return render_template(
        "visits/checklist.html", cycle=cycle, form=form, default_labels=checklists.DEFAULT_LABELS
    ), 400 if form.is_submitted() else 200


@bp.get("/conflicts")
@staff_required
def conflict_list():
    return render_template("visits/conflicts.html", conflicts=services.open_conflicts())


def _conflict_or_404(conflict_id: int) -> VisitConflict:
    return db.session.get(VisitConflict, conflict_id) or abort(404)


def _conflict_page(conflict: VisitConflict, form: ResolveForm, status: int = 200):
    units = {
        conflict.visit.unit_id: conflict.visit.unit,
        conflict.payload["unit_id"]: db.session.get(Unit, conflict.payload["unit_id"]),
    }
    first, second = conflict.visit.answers, conflict.payload["answers"]
    rows = [
        (
            item.shown_label,
            checklists.shown_answer(item, first.get(item.key)),
            checklists.shown_answer(item, second.get(item.key)),
        )
        for item in checklists.checklist_of(conflict.visit.cycle_id)
    ]
    return render_template("visits/conflict.html", conflict=conflict, form=form, units=units, rows=rows), status


@bp.get("/conflicts/<int:conflict_id>")
@staff_required
def conflict_view(conflict_id: int):
    return _conflict_page(_conflict_or_404(conflict_id), ResolveForm())


@bp.post("/conflicts/<int:conflict_id>")
@staff_required
def conflict_resolve(conflict_id: int):
    conflict = _conflict_or_404(conflict_id)
    form = ResolveForm()
    if form.validate():
        try:
            new_visit = services.resolve_conflict(conflict, ConflictResolution(form.resolution.data), current_user.id)
        except services.ConflictError:
            form.resolution.errors = [_("This conflict was already resolved.")]
        else:
            db.session.commit()
            if new_visit is not None:
                dispatch_items([f.item_id for f in new_visit.findings if f.item_id])
            flash(_("The conflict was resolved."))
            return redirect(url_for("staff_visits.conflict_view", conflict_id=conflict.id), 303)
    return _conflict_page(conflict, form, 400)
