"""Members' visit pages: their visits and their groups', the visit form (a plain form without
script; with script a draft and an outbox that sends when online), a visit's page, and the
small pieces the outbox needs (a fresh CSRF token, the Service Worker's script)."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from intake.core.downloads import send_stored
from intake.extensions import db
from intake.feedback.jobs import dispatch_items
from intake.program.models import SupervisionCycle
from intake.security import member_or_staff_required, member_required
from intake.timeutil import county_zone
from intake.uploads import safe_display_name
from intake.visits import member_visits_bp as bp
from intake.visits import services
from intake.visits.checklists import checklist_of, shown_answer
from intake.visits.forms import VisitForm
from intake.visits.models import Visit, VisitPhoto

STATUS_CODES = {"created": 201, "same": 200, "conflict": 409}


@bp.get("/")
@member_required
def visit_list():
    return render_template("visits/list.html", visits=services.visible_visits(current_user))


def _form_page(form: VisitForm, answers: dict, errors: dict, status: int = 200):
    cycle = services.current_cycle() if not form.cycle_id.data else db.session.get(SupervisionCycle, form.cycle_id.data)
    form.unit_id.choices = [(0, _("Choose…"))] + [(u.id, u.display_name) for u in services.units_for_form(current_user)]
    return render_template(
        "visits/new.html",
        form=form,
        cycle=cycle,
        checklist=checklist_of(cycle.id) if cycle else [],
        answers=answers,
        answer_errors=errors,
    ), status


@bp.get("/new")
@member_required
def visit_new():
    form = VisitForm()
    form.uuid.data = services.new_uuid()
    cycle = services.current_cycle()
    form.cycle_id.data = cycle.id if cycle else None
    return _form_page(form, {}, {})


def _photos() -> list[services.PhotoInput]:
    limit = current_app.config["MAX_UPLOAD_MB"] * 1024 * 1024
    photos = []
    for storage in request.files.getlist("photos"):
        if not storage or not storage.filename:
            continue
        data = storage.read(limit + 1)
        if len(data) > limit:
            raise services.VisitError(
                {"photos": _("“%(name)s” is larger than %(mb)d MB.", name=storage.filename, mb=limit // 2**20)}
            )
        photos.append(services.PhotoInput(safe_display_name(storage.filename), data))
    return photos


def _visit_input(form: VisitForm) -> services.VisitInput:
    return services.VisitInput(
        uuid=(form.uuid.data or "").strip().lower(),
        cycle_id=form.cycle_id.data,
        unit_id=form.unit_id.data or None,
        place=form.place.data or "",
        visited_at=form.visited_at.data,
        incognito=bool(form.incognito.data),
        answers={k[len("answer-") :]: v for k, v in request.form.items() if k.startswith("answer-")},
        notes=form.notes.data or "",
        findings=form.findings.data or "",
        photos=_photos(),
    )


@bp.post("/new")
@member_required
def visit_send():
    """The form's POST and the outbox's: JSON answers for the outbox (201 stored, 200 already
    stored as sent, 409 a different version under the same UUID, 400 with the errors)."""
    wants_json = request.accept_mimetypes.best == "application/json"
    form = VisitForm()
    form.validate()  # the CSRF token was checked app-wide; a bad date leaves visited_at empty
    answers = {k[len("answer-") :]: v for k, v in request.form.items() if k.startswith("answer-")}
    try:
        recorded = services.record_visit(_visit_input(form), current_user)
    except services.VisitError as exc:
        db.session.rollback()
        errors = exc.errors
        if wants_json:
            return jsonify(status="invalid", errors=errors), 400
        for name, message in errors.items():
            if name in form:
                form[name].errors = [message]
            else:
                form.form_errors.append(message)
        answer_errors = {k[len("answer-") :]: v for k, v in errors.items() if k.startswith("answer-")}
        return _form_page(form, answers, answer_errors, 400)
    db.session.commit()
    if recorded.status == "created":
        dispatch_items([f.item_id for f in recorded.visit.findings if f.item_id])
    url = url_for("visits.visit_view", visit_id=recorded.visit.id)
    if wants_json:
        return jsonify(status=recorded.status, uuid=recorded.visit.uuid, url=url), STATUS_CODES[recorded.status]
    if recorded.status == "conflict":
        flash(_("A different version of this visit was already stored; staff will compare the two."))
    else:
        flash(_("The visit was recorded."))
    return redirect(url, 303)


def _visit_or_404(visit_id: int) -> Visit:
    visit = db.session.get(Visit, visit_id)
    if visit is None or not services.may_see(current_user, visit):
        abort(404)
    return visit


@bp.get("/<int:visit_id>")
@member_or_staff_required
def visit_view(visit_id: int):
    visit = _visit_or_404(visit_id)
    checklist = checklist_of(visit.cycle_id)
    rows = [(item.shown_label, shown_answer(item, visit.answers.get(item.key))) for item in checklist]
    return render_template("visits/view.html", visit=visit, rows=rows, zone=county_zone())


@bp.get("/<int:visit_id>/photos/<int:photo_id>")
@member_or_staff_required
def visit_photo(visit_id: int, photo_id: int):
    visit = _visit_or_404(visit_id)
    photo = db.session.get(VisitPhoto, photo_id)
    if photo is None or photo.visit_id != visit.id:
        abort(404)
    # Re-encoded by the server: a JPEG and nothing else, safe to show in the page.
    return send_stored(photo.stored_name, photo.content_type, photo.original_name, inline=True)


@bp.get("/session")
@member_required
def session_token():
    """A fresh CSRF token for the outbox, asked before each send: after a new sign-in the old
    one no longer matches. Signed out, the outbox gets the redirect to the sign-in page."""
    response = jsonify(csrf_token=generate_csrf(), user=current_user.username)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sw.js")
def service_worker():
    """The Service Worker's script, served here so that its scope is /member/visits/."""
    response = send_from_directory(current_app.static_folder, "visits-sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Service-Worker-Allowed"] = url_for("visits.visit_list")
    response.headers["Cache-Control"] = "no-cache"
    return response
