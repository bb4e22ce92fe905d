"""One item and what staff do with it: status, classification, assignment, notes, the
reporter's identity, merging, replies; its mail bodies, inline images and attachments."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from redis.exceptions import RedisError

from intake.core.downloads import send_stored
from intake.core.params import form_ids
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import Attachment, FeedbackItem, ItemStatus
from intake.mailbox.acks import receipt_blocker
from intake.mailbox.outgoing import lookup_page_url
from intake.reference.services import category_choices, staff_unit_choices
from intake.security import staff_required
from intake.storage import path_for
from intake.triage import bp, mailbody, services, suggestions
from intake.triage.forms import NoteForm, ReplyForm, StatusChangeForm
from intake.triage.models import ReplyState
from intake.triage.routes.queue import _form_int
from intake.triage.services import item_actions, reporter_replies, staff_queue


def _status_form(item: FeedbackItem) -> StatusChangeForm:
    form = StatusChangeForm()
    form.status.choices = [(s.value, s.label) for s in item.allowed_next_statuses]
    return form


def render_item(
    item: FeedbackItem,
    *,
    form=None,
    show_identity: bool = False,
    reply_form=None,
    note_form=None,
    route_form=None,
    status: int = 200,
):
    templates = reporter_replies.reply_templates()
    chosen = request.args.get("template")
    if reply_form is None:
        reply_form = ReplyForm(formdata=None)
        template = next((t for t in templates if t.code == chosen), None)
        if template is not None:
            reply_form.subject.data, reply_form.body.data = reporter_replies.fill_template(
                template, item, lookup_page_url(item)
            )
            reply_form.template.data = template.code
    from intake.triage.jobs import failed_reply_ids

    replies = reporter_replies.replies_of(item)
    failed = failed_reply_ids([r.id for r in replies if r.state is ReplyState.queued])
    thread = reporter_replies.thread_of(item)
    html = render_template(
        "triage/item.html",
        failed_replies=failed,
        item=item,
        form=form or _status_form(item),
        show_identity=show_identity,
        suggestion=item.suggestion,
        related=suggestions.related_items(item),
        merged=item_actions.merged_into(item),
        thread=thread,
        replies=replies,
        mail_links={entry.id: mailbody.mail_links(entry.html) for entry in thread},
        templates=templates,
        reply_form=reply_form,
        note_form=note_form or NoteForm(formdata=None),
        route_form=route_form,  # a refused route form (rectification's panel), else None
        staff=staff_queue.staff_users(),
        units=staff_unit_choices(_("Choose a unit"))[1:],
        categories=category_choices(_("Choose a category"))[1:],
        receipt_blocker=receipt_blocker(item),
    )
    return html, status


@bp.get("/items/<int:item_id>")
@staff_required
def item_detail(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    return render_item(item)


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
        return render_item(item, form=form, status=400)
    try:
        feedback_services.change_status(
            item, ItemStatus(form.status.data), actor_id=current_user.id, note=form.note.data
        )
    except feedback_services.TransitionError:
        form.status.errors.append(_("This status change is not allowed."))
        return render_item(item, form=form, status=409)
    db.session.commit()
    flash(_("Status changed to %(status)s.", status=item.status.label))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


def _back_to_item(item: FeedbackItem):
    if request.form.get("next") == "queue":
        return redirect(
            url_for("triage.queue") + ("?" + request.form["query"] if request.form.get("query") else ""), code=303
        )
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
        suggestions.set_classification(
            item, current_user.id, unit_id=_form_int("unit_id"), category_id=_form_int("category_id")
        )
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
        # The button has its own field: the form's select posts assignee_id too, before it.
        assignee_id = current_user.id if request.form.get("assign_to_me") else _form_int("assignee_id")
        item_actions.assign_item(item, assignee_id, current_user.id)
    except services.TriageError:
        abort(400)
    db.session.commit()
    flash(_("Assignment saved."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/receipt")
@staff_required
def send_receipt(item_id: int):
    """Send the receipt (受理告知) the per-address window held back: the reporter's second
    report within the window gets its own tracking code and secret too."""
    from intake.core.jobs import enqueue
    from intake.feedback.jobs import receipt_job_id, send_receipt_for_staff

    item = db.get_or_404(FeedbackItem, item_id)
    if receipt_blocker(item) is not None:
        abort(409)
    try:
        enqueue(send_receipt_for_staff, item.id, job_id=receipt_job_id(item.id), unique=True)
    except RedisError:
        flash(_("The receipt could not be queued now. Please try again in a moment."))
    else:
        flash(_("The receipt is being sent."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/notes")
@staff_required
def add_note(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return render_item(item, note_form=form, status=400)
    item_actions.add_note(item, form.text.data, current_user.id)
    db.session.commit()
    flash(_("Note added."))
    return _back_to_item(item)


@bp.post("/items/<int:item_id>/reporter")
@staff_required
def show_reporter(item_id: int):
    """The reporter's contact details, shown on request and recorded as seen."""
    item = db.get_or_404(FeedbackItem, item_id)
    item_actions.record_identity_view(item, current_user.id)
    db.session.commit()
    return render_item(item, show_identity=True)


@bp.post("/items/<int:item_id>/merge")
@staff_required
def merge(item_id: int):
    item = db.get_or_404(FeedbackItem, item_id)
    duplicate_ids = form_ids("duplicate_id")
    try:
        merged = item_actions.merge_duplicates(item.id, duplicate_ids, current_user.id)
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
        return render_item(item, reply_form=form, status=400)
    try:
        staff_reply = reporter_replies.queue_reply(
            item, current_user.id, form.subject.data, form.body.data, form.template.data
        )
    except services.TriageError:
        form.body.errors.append(_("This reporter left no mail address."))
        return render_item(item, reply_form=form, status=409)
    db.session.commit()
    _enqueue_reply(staff_reply.id)
    flash(_("The reply is being sent."))
    return redirect(url_for("triage.item_detail", item_id=item.id), code=303)


def _enqueue_reply(reply_id: int) -> None:
    from intake.triage.jobs import dispatch_replies

    dispatch_replies([reply_id])  # Redis down: the reply stays queued and the sweeper sends it


@bp.post("/items/<int:item_id>/replies/<int:reply_id>/resend")
@staff_required
def resend_reply(item_id: int, reply_id: int):
    from intake.triage.jobs import resend_reply as enqueue_again

    item = db.get_or_404(FeedbackItem, item_id)
    try:
        reporter_replies.resend_reply(item, reply_id, current_user.id)
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
        entry.html or "",
        mailbody.inline_images(entry.item_id),
        lambda a: url_for(
            "triage.inline_image",
            item_id=entry.item_id,
            attachment_id=a.id,
            t=mailbody.image_token(entry.item_id, a.id),
        ),
    )
    # Links open nothing here: the frame may not open popups and <base> sends every link there.
    # The page beside the frame lists them with their real targets ("confirm, then open").
    html = '<!doctype html><meta charset="utf-8"><base target="_blank">' + body
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; form-action 'none'; "
        "frame-ancestors 'self'; base-uri 'none'; sandbox"
    )
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
    return send_stored(
        attachment.stored_name,
        attachment.content_type.split(";")[0].strip().lower(),
        attachment.original_name,
        inline=True,
    )


@bp.get("/attachments/<int:attachment_id>")
@staff_required
def download_attachment(attachment_id: int):
    attachment = db.get_or_404(Attachment, attachment_id)
    return send_stored(attachment.stored_name, attachment.content_type, attachment.original_name)
