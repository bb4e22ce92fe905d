"""Staff routes: the queue, an item, its status change and its files."""
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Attachment, FeedbackItem, ItemStatus, Source
from intake.reference.services import category_choices, unit_choices
from intake.security import staff_required
from intake.storage import path_for
from intake.triage import bp, services
from intake.triage.forms import QueueFilterForm, StatusChangeForm


def _status_form(item: FeedbackItem) -> StatusChangeForm:
    form = StatusChangeForm()
    form.status.choices = [(s.value, s.label) for s in item.allowed_next_statuses]
    return form


def _queue_filter(form: QueueFilterForm) -> services.QueueFilter:
    status = request.args.get("status") or None
    if status not in (None, "all") and status not in {s.value for s in ItemStatus}:
        status = None
    source = request.args.get("source") or None
    if source not in {s.value for s in Source}:
        source = None
    # ?auto=1: only automatic mail; ?auto=all: everything; default: people's reports only.
    is_auto = {"1": True, "all": None}.get(request.args.get("auto", ""), False)
    return services.QueueFilter(
        status=status, unit_id=form.unit.data, category_id=form.category.data, source=source,
        is_auto=is_auto,
    )


@bp.get("/")
@staff_required
def queue():
    form = QueueFilterForm(formdata=request.args)
    form.fill_choices(unit_choices(_("All units")), category_choices(_("All categories")))
    try:
        form.unit.process_formdata([request.args.get("unit", "")])
        form.category.process_formdata([request.args.get("category", "")])
    except ValueError:
        abort(400)
    page = services.queue_page(
        _queue_filter(form),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["QUEUE_PAGE_SIZE"],
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("triage/queue.html", form=form, page=page, args=args)


@bp.get("/items/<int:item_id>")
@staff_required
def item_detail(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    return render_template("triage/item.html", item=item, form=_status_form(item))


@bp.post("/items/<int:item_id>/status")
@staff_required
def change_status(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    form = _status_form(item)
    offered = form.status.choices
    # Any known status passes the form: whether the change is allowed is the lifecycle's call,
    # so a stale page (a colleague changed the status meanwhile) gets 409 and says so.
    form.status.choices = [(s.value, s.label) for s in ItemStatus]
    valid = form.validate_on_submit()
    form.status.choices = offered
    if not valid:
        return render_template("triage/item.html", item=item, form=form), 400
    try:
        feedback_services.change_status(
            item, ItemStatus(form.status.data), actor_id=current_user.id, note=form.note.data
        )
    except feedback_services.TransitionError:
        form.status.errors.append(_("This status change is not allowed."))
        return render_template("triage/item.html", item=item, form=form), 409
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=item.status.label))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


@bp.get("/attachments/<int:attachment_id>")
@staff_required
def download_attachment(attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    path = path_for(attachment.stored_name)
    if not path.exists():
        abort(410)
    # Always a download and never sniffed: an uploaded HTML or SVG must not run in our origin.
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
