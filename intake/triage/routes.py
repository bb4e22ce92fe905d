"""Staff routes: the queue, an item and what staff do with it, its files and mail bodies, and
the admin pages of triage (rules, templates)."""
from urllib.parse import urlencode

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.auth.models import Role
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Attachment, FeedbackItem, ItemStatus, Priority, Source
from intake.mail import lookup_url
from intake.program.services import supervised_first
from intake.reference.models import Category, Unit
from intake.reference.services import category_choices, unit_choices
from intake.security import roles_required, staff_required
from intake.storage import path_for
from intake.triage import bp, mailbody, services, suggestions
from intake.triage.forms import NoteForm, QueueFilterForm, ReplyForm, RulesForm, StatusChangeForm, TemplateForm
from intake.triage.models import ReplyState

admin_required = roles_required(Role.admin)
FILTER_ARGS = ("q", "status", "unit", "category", "source", "assignee", "priority", "date_from", "date_to",
               "auto", "flagged", "attachment", "overdue")


def _status_form(item: FeedbackItem) -> StatusChangeForm:
    form = StatusChangeForm()
    form.status.choices = [(s.value, s.label) for s in item.allowed_next_statuses]
    return form


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if value in ("", "0"):
        return None
    try:
        return int(value)
    except ValueError:
        abort(400)


def _queue_filter(form: QueueFilterForm) -> services.QueueFilter:
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
    assignee_id = current_user.id if assignee == "me" else (_int_arg("assignee") if assignee not in ("", "none") else None)
    # ?auto=1: only automatic mail; ?auto=all: everything; default: people's reports only.
    is_auto = {"1": True, "all": None}.get(args.get("auto", ""), False)
    return services.QueueFilter(
        status=status, unit_id=_int_arg("unit"), category_id=_int_arg("category"), source=source,
        is_auto=is_auto, date_from=form.date_from.data if not form.date_from.errors else None,
        date_to=form.date_to.data if not form.date_to.errors else None,
        assignee_id=assignee_id, unassigned=assignee == "none", priority=priority,
        overdue=bool(args.get("overdue")), has_attachment=bool(args.get("attachment")),
        flagged=bool(args.get("flagged")), q=(args.get("q") or "").strip() or None,
    )


def _filter_args() -> dict:
    return {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}


@bp.get("/")
@staff_required
def queue():
    form = QueueFilterForm(formdata=request.args)
    form.fill_choices(unit_choices(_("All units")), category_choices(_("All categories")), services.staff_users())
    form.validate()  # only to parse the dates; a bad date is ignored
    f = _queue_filter(form)
    page = services.queue_page(
        f, per_page=current_app.config["QUEUE_PAGE_SIZE"],
        after=services.Cursor.decode(request.args.get("after")),
        before=services.Cursor.decode(request.args.get("before")),
    )
    counts = services.queue_counts(f)
    args = _filter_args()
    return render_template(
        "triage/queue.html", form=form, page=page, counts=counts, args=args,
        query=urlencode(args), views=services.saved_views(current_user.id),
        staff=services.staff_users(), units=unit_choices(_("Choose a unit"))[1:],
        categories=category_choices(_("Choose a category"))[1:],
        unit_names=dict(db.session.query(Unit.id, Unit.name)), category_names={c.id: c.full_name for c in db.session.query(Category)},
    )


@bp.post("/views")
@staff_required
def save_view():
    try:
        services.save_view(current_user.id, request.form.get("name", ""), request.form.get("query", ""))
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
        services.delete_view(current_user.id, view_id)
    except services.TriageError:
        abort(404)
    db.session.commit()
    return redirect(url_for("triage.queue"), code=303)


def _form_int(name: str) -> int | None:
    value = request.form.get(name, "")
    if value in ("", "0"):
        return None
    if value == "me":
        return current_user.id
    try:
        return int(value)
    except ValueError:
        abort(400)


@bp.post("/bulk")
@staff_required
def bulk():
    action = request.form.get("action", "")
    try:
        item_ids = [int(v) for v in request.form.getlist("item_id")]
    except ValueError:
        abort(400)
    if action not in services.BULK_ACTIONS:
        abort(400)
    back = url_for("triage.queue") + ("?" + request.form["query"] if request.form.get("query") else "")
    if not item_ids:
        flash(_("Select at least one item."))
        return redirect(back, code=303)
    try:
        result = services.bulk_apply(
            item_ids, action, current_user.id, assignee_id=_form_int("assignee_id"), unit_id=_form_int("unit_id"),
            category_id=_form_int("category_id"), problem=request.form.get("problem"),
            requirement=request.form.get("requirement"),
        )
    except (services.TriageError, suggestions.SuggestionError):
        db.session.rollback()
        flash(_("This action could not be done on the selection; nothing was changed."))
        return redirect(back, code=303)
    db.session.commit()
    flash(_("%(n)d item(s) updated.", n=result.done))
    if result.skipped:
        flash(_("Left as they were: %(codes)s", codes=", ".join(result.skipped)))
    return redirect(back, code=303)


# --- the item -------------------------------------------------------------------------------------

def _render_item(item: FeedbackItem, *, form=None, show_identity: bool = False, reply_form=None,
                 note_form=None, status: int = 200):
    templates = services.reply_templates()
    db.session.commit()  # the default templates, written on first use
    chosen = request.args.get("template")
    if reply_form is None:
        reply_form = ReplyForm(formdata=None)
        template = next((t for t in templates if t.code == chosen), None)
        if template is not None:
            reply_form.subject.data, reply_form.body.data = services.fill_template(template, item, lookup_url(item))
            reply_form.template.data = template.code
    from intake.jobs import failed_reply_ids

    replies = services.replies_of(item)
    failed = failed_reply_ids([r.id for r in replies if r.state is ReplyState.queued])
    thread = services.thread_of(item)
    html = render_template(
        "triage/item.html", failed_replies=failed, item=item, form=form or _status_form(item), show_identity=show_identity,
        suggestion=item.suggestion, related=suggestions.related_items(item),
        merged=services.merged_into(item), thread=thread, replies=replies,
        mail_links={entry.id: mailbody.mail_links(entry.html) for entry in thread},
        templates=templates, reply_form=reply_form, note_form=note_form or NoteForm(formdata=None),
        staff=services.staff_users(), units=unit_choices(_("Choose a unit"))[1:],
        categories=category_choices(_("Choose a category"))[1:],
    )
    return html, status


@bp.get("/items/<int:item_id>")
@staff_required
def item_detail(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    return _render_item(item)


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
        return _render_item(item, form=form, status=400)
    try:
        feedback_services.change_status(
            item, ItemStatus(form.status.data), actor_id=current_user.id, note=form.note.data
        )
    except feedback_services.TransitionError:
        form.status.errors.append(_("This status change is not allowed."))
        return _render_item(item, form=form, status=409)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=item.status.label))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


def _back_to_item(item: FeedbackItem):
    if request.form.get("next") == "queue":
        return redirect(url_for("triage.queue") + ("?" + request.form["query"] if request.form.get("query") else ""), code=303)
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


@bp.post("/items/<int:item_id>/suggestion/accept")
@staff_required
def accept_suggestion(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    field = request.form.get("field") or None
    if field not in (None, *suggestions.FIELDS):
        abort(400)
    try:
        suggestions.accept_suggestion(item, current_user.id, field)
    except suggestions.SuggestionError:
        flash(_("There is no suggestion left to accept."))
        return _back_to_item(item)
    db.session.commit()
    flash(_("Suggestion accepted."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/classify")
@staff_required
def classify(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    try:
        suggestions.set_classification(item, current_user.id, unit_id=_form_int("unit_id"),
                                       category_id=_form_int("category_id"))
    except suggestions.SuggestionError:
        abort(400)
    db.session.commit()
    flash(_("Unit and category saved."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/assign")
@staff_required
def assign(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    try:
        services.assign_item(item, _form_int("assignee_id"), current_user.id)
    except services.TriageError:
        abort(400)
    db.session.commit()
    flash(_("Assignment saved."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/notes")
@staff_required
def add_note(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _render_item(item, note_form=form, status=400)
    services.add_note(item, form.text.data, current_user.id)
    db.session.commit()
    flash(_("Note added."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/reporter")
@staff_required
def show_reporter(item_id: int):
    """The reporter's contact details, shown on request and recorded as seen."""
    item = db.get_or_404(FeedbackItem, item_id)
    services.record_identity_view(item, current_user.id)
    db.session.commit()
    return _render_item(item, show_identity=True)


@bp.post("/items/<int:item_id>/merge")
@staff_required
def merge(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    try:
        duplicate_ids = [int(v) for v in request.form.getlist("duplicate_id")]
    except ValueError:
        abort(400)
    try:
        merged = services.merge_duplicates(item.id, duplicate_ids, current_user.id)
    except services.TriageError:
        db.session.rollback()
        flash(_("These reports could not be merged; nothing was changed."))
        return _back_to_item(item)
    db.session.commit()
    flash(_("Merged %(n)d report(s) into this one.", n=len(merged)))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/reply")
@staff_required
def reply(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_item(item, reply_form=form, status=400)
    try:
        staff_reply = services.queue_reply(item, current_user.id, form.subject.data, form.body.data, form.template.data)
    except services.TriageError:
        form.body.errors.append(_("This reporter left no mail address."))
        return _render_item(item, reply_form=form, status=409)
    db.session.commit()
    _enqueue_reply(staff_reply.id)
    flash(_("The reply is being sent."))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


def _enqueue_reply(reply_id: int) -> None:
    from intake.jobs import dispatch_replies

    dispatch_replies([reply_id])  # Redis down: the reply stays queued and the sweeper sends it


@bp.post("/items/<int:item_id>/replies/<int:reply_id>/resend")
@staff_required
def resend_reply(item_id: int, reply_id: int):
    from intake.jobs import resend_reply as enqueue_again

    item = db.get_or_404(FeedbackItem, item_id)
    try:
        services.resend_reply(item, reply_id, current_user.id)
    except services.TriageError:
        abort(404)
    db.session.commit()
    enqueue_again(reply_id)
    flash(_("The reply is being sent."))
    return redirect(url_for("triage.item_detail", item_id=item.id) + "#replies", code=303)


@bp.get("/thread/<int:entry_id>/body")
@staff_required
def thread_body(entry_id: int):
    """A mail's sanitized HTML on its own, for a sandboxed iframe of the item page: no script,
    no remote anything, only inline styles and the item's own inline pictures (cid:)."""
    from intake.mailbox.models import ThreadEntry

    entry = db.get_or_404(ThreadEntry, entry_id)
    body = mailbody.point_cid_images(
        entry.html or "", mailbody.inline_images(entry.item_id),
        lambda a: url_for("triage.inline_image", item_id=entry.item_id, attachment_id=a.id,
                          t=mailbody.image_token(entry.item_id, a.id)))
    # Links open nothing here: the frame may not open popups and <base> sends every link there.
    # The page beside the frame lists them with their real targets ("confirm, then open").
    html = '<!doctype html><meta charset="utf-8"><base target="_blank">' + body
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'none'; "
        "frame-ancestors 'self'; base-uri 'none'; sandbox")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/items/<int:item_id>/inline/<int:attachment_id>")
def inline_image(item_id: int, attachment_id: int):
    """A picture a mail carried inline, for its body's frame: only the item's own inline
    attachments, only raster types whose bytes agree (never SVG), never sniffed. Staff only:
    a staff session, or the address signed for this picture by the staff-only body."""
    if mailbody.image_token_valid(request.args.get("t", ""), item_id, attachment_id):
        return _inline_image(item_id, attachment_id)
    return staff_required(_inline_image)(item_id, attachment_id)


def _inline_image(item_id: int, attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    if attachment.item_id != item_id or not attachment.is_inline:
        abort(404)
    path = path_for(attachment.stored_name)
    if not path.exists():
        abort(410)
    with path.open("rb") as f:
        head = f.read(16)
    if not mailbody.is_raster_image(attachment.content_type, head):
        abort(404)
    response = send_file(path, mimetype=attachment.content_type.split(";")[0].strip().lower(), max_age=0,
                         download_name=attachment.original_name)
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


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


# --- admin: rules and templates ------------------------------------------------------------------------

@bp.route("/admin/rules", methods=["GET", "POST"])
@admin_required
def admin_rules():
    form = RulesForm()
    if form.validate_on_submit():
        suggestions.set_auto_apply_threshold(float(form.threshold.data), current_user.id)
        for unit in db.session.query(Unit):
            value = request.form.get(f"unit-{unit.id}")
            if value is not None:
                suggestions.update_unit_aliases(unit.id, value)
        for category in db.session.query(Category):
            value = request.form.get(f"category-{category.id}")
            if value is not None:
                suggestions.update_category_keywords(category.id, value)
        db.session.commit()
        flash(_("Rules saved."))
        return redirect(url_for("triage.admin_rules"), code=303)
    if request.method == "GET":
        form.threshold.data = round(suggestions.auto_apply_threshold(), 2)
    units = db.session.query(Unit).order_by(supervised_first(), Unit.sort_order, Unit.id).all()
    categories = db.session.query(Category).order_by(Category.parent_id.is_not(None), Category.sort_order, Category.id).all()
    status = 400 if request.method == "POST" else 200
    return render_template("triage/admin_rules.html", form=form, units=units, categories=categories), status


@bp.route("/admin/templates", methods=["GET", "POST"])
@admin_required
def admin_templates():
    templates = services.reply_templates()
    db.session.commit()
    forms = {t.id: TemplateForm(prefix=f"t{t.id}", obj=t) for t in templates}
    edited = request.form.get("template_id", type=int) if request.method == "POST" else None
    if edited is not None:
        form = forms.get(edited) or abort(404)
        if form.validate_on_submit():
            services.update_template(edited, form.name.data, form.subject.data, form.body.data, current_user.id)
            db.session.commit()
            flash(_("Template saved."))
            return redirect(url_for("triage.admin_templates"), code=303)
    return render_template("triage/admin_templates.html", templates=templates, forms=forms), (400 if edited else 200)
