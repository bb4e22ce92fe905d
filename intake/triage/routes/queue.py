"""The queue page, saved views and bulk actions on a selection."""

from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.core.params import arg_date, arg_id, form_id, form_ids
from intake.extensions import db
from intake.feedback.models import ItemStatus, Priority, Source
from intake.rectification.services import RectificationError
from intake.rectification.services.ledger_query import in_overdue_task
from intake.rectification.services.routing import route_selection
from intake.reference.models import Category, Unit
from intake.reference.services import category_choices, staff_unit_choices
from intake.security import staff_required
from intake.triage import bp, services, suggestions
from intake.triage.forms import QueueFilterForm
from intake.triage.services import bulk_actions, saved_views, staff_queue

FILTER_ARGS = (
    "q",
    "status",
    "unit",
    "category",
    "source",
    "assignee",
    "priority",
    "date_from",
    "date_to",
    "auto",
    "flagged",
    "attachment",
    "overdue",
)


def _queue_filter() -> staff_queue.QueueFilter:
    """The queue's filter from the query string; a value no filter can take is a 400."""
    args = request.args
    status = args.get("status") or None
    if status not in (None, "all") and status not in {s.value for s in ItemStatus}:
        status = None
    source = args.get("source") or None
    if source not in {s.value for s in Source}:
        source = None
    priority = args.get("priority") or None
    if priority not in {p.value for p in Priority}:
        priority = None
    assignee = args.get("assignee", "")
    assignee_id = current_user.id if assignee == "me" else (arg_id("assignee") if assignee != "none" else None)
    # ?auto=1: only automatic mail; ?auto=all: everything; default: people's reports only.
    is_auto = {"1": True, "all": None}.get(args.get("auto", ""), False)
    return staff_queue.QueueFilter(
        status=status,
        unit_id=arg_id("unit"),
        category_id=arg_id("category"),
        source=source,
        is_auto=is_auto,
        date_from=arg_date("date_from"),
        date_to=arg_date("date_to"),
        assignee_id=assignee_id,
        unassigned=assignee == "none",
        priority=priority,
        conditions=(in_overdue_task(),) if args.get("overdue") else (),
        has_attachment=bool(args.get("attachment")),
        flagged=bool(args.get("flagged")),
        q=(args.get("q") or "").strip() or None,
    )


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}


@bp.get("/")
@staff_required
def queue():
    form = QueueFilterForm(formdata=request.args)
    form.fill_choices(
        staff_unit_choices(_("All units")), category_choices(_("All categories")), staff_queue.staff_users()
    )
    f = _queue_filter()
    page = staff_queue.queue_page(
        f,
        per_page=current_app.config["QUEUE_PAGE_SIZE"],
        after=staff_queue.Cursor.decode(request.args.get("after")),
        before=staff_queue.Cursor.decode(request.args.get("before")),
    )
    counts = staff_queue.queue_counts(f)
    args = _filter_args()
    return render_template(
        "triage/queue.html",
        form=form,
        page=page,
        counts=counts,
        args=args,
        query=urlencode(args),
        views=saved_views.saved_views(current_user.id),
        staff=staff_queue.staff_users(),
        units=staff_unit_choices(_("Choose a unit"))[1:],
        categories=category_choices(_("Choose a category"))[1:],
        unit_names=dict(db.session.query(Unit.id, Unit.name)),
        category_names={c.id: c.full_name for c in db.session.query(Category)},
    )


@bp.post("/views")
@staff_required
def save_view():
    try:
        saved_views.save_view(current_user.id, request.form.get("name", ""), request.form.get("query", ""))
    except services.TriageError:
        flash(_("Give the view a name."))
        return redirect(url_for("triage.queue"), code=303)
    db.session.commit()
    flash(_("View saved."))
    return redirect(url_for("triage.queue") + "?" + request.form.get("query", ""), code=303)


@bp.post("/views/<int:view_id>/delete")
@staff_required
def delete_view(view_id: int):
    try:
        saved_views.delete_view(current_user.id, view_id)
    except services.TriageError:
        abort(404)
    db.session.commit()
    return redirect(url_for("triage.queue"), code=303)


def _form_int(name: str) -> int | None:
    if request.form.get(name) == "me":
        return current_user.id
    return form_id(name)


@bp.post("/bulk")
@staff_required
def bulk():
    action = request.form.get("action", "")
    item_ids = form_ids("item_id")
    if action not in bulk_actions.BULK_ACTIONS:
        abort(400)
    back = url_for("triage.queue") + ("?" + request.form["query"] if request.form.get("query") else "")
    if not item_ids:
        flash(_("Select at least one item."))
        return redirect(back, code=303)
    try:
        if action == "route":
            done, skipped = route_selection(
                item_ids,
                _form_int("unit_id"),
                request.form.get("problem"),
                request.form.get("requirement"),
                current_user.id,
            )
            result = bulk_actions.BulkResult(done, skipped)
        else:
            result = bulk_actions.bulk_apply(
                item_ids,
                action,
                current_user.id,
                assignee_id=_form_int("assignee_id"),
                unit_id=_form_int("unit_id"),
                category_id=_form_int("category_id"),
                problem=request.form.get("problem"),
            )
    except (services.TriageError, suggestions.SuggestionError, RectificationError):
        db.session.rollback()
        flash(_("This action could not be done on the selection; nothing was changed."))
        return redirect(back, code=303)
    db.session.commit()
    flash(_("%(n)d item(s) updated.", n=result.done))
    if result.skipped:
        flash(_("Left as they were: %(codes)s", codes=", ".join(result.skipped)))
    return redirect(back, code=303)
