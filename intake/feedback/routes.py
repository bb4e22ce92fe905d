"""Public routes: the submission form, its confirmation and the status lookup."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from intake import ratelimit
from intake.auth.models import Role
from intake.extensions import db
from intake.feedback import access, bp, services
from intake.feedback.forms import EraseContactForm, LookupForm, SubmissionForm
from intake.feedback.jobs import dispatch_items
from intake.feedback.models import FeedbackItem, Kind, Source
from intake.reference.services import category_choices, unit_choices
from intake.uploads import ALLOWED_TYPES, extension_of, safe_display_name

CONFIRMATION_KEY = "last_submission"
# Failed lookups per client address before we stop answering for a while.
LOOKUP_FAILURE_LIMIT = 20
LOOKUP_WINDOW_SECONDS = 15 * 60


# What a signed-in member or staff member may record as the channel of a finding.
RECORDED_SOURCES = {
    Role.member: [Source.member, Source.visit, Source.inspection, Source.questionnaire, Source.symposium],
    Role.staff: [
        Source.petition,
        Source.member,
        Source.visit,
        Source.inspection,
        Source.questionnaire,
        Source.symposium,
        Source.web,
    ],
}
RECORDED_SOURCES[Role.admin] = RECORDED_SOURCES[Role.staff]


def _recorded_sources() -> list[Source]:
    if not current_user.is_authenticated:
        return []
    return RECORDED_SOURCES.get(current_user.role, [])


def _submission_form() -> SubmissionForm:
    form = SubmissionForm()
    form.unit_id.choices = unit_choices(_("Not sure / other"))
    form.category_id.choices = category_choices(_("Not sure"))
    sources = _recorded_sources()
    if sources:
        form.source.choices = [(s.value, s.label) for s in sources]
        # Staff typing in a petition (the petitions office asked the person) and members
        # reporting in their own name are not asked the public's consent question.
        del form.consent
    else:
        del form.source
    return form


def _submission_from_form(form: SubmissionForm) -> services.SubmissionInput:
    reporter = services.ReporterInput(wants_anonymity=True)
    if not form.anonymous.data:
        reporter = services.ReporterInput(name=form.name.data, phone=form.phone.data, email=form.email.data)
    if current_user.is_authenticated and current_user.role is Role.member:
        # A member reports in their own name; staff typing in a petition record do not.
        reporter.user_id = current_user.id
        reporter.is_member = True
    uploads = [
        services.UploadInput(
            filename=safe_display_name(f.filename),
            content_type=ALLOWED_TYPES[extension_of(f.filename)],
            stream=f.stream,
        )
        for f in (form.attachments.data or [])
        if f and f.filename
    ]
    return services.SubmissionInput(
        source=Source(form.source.data) if "source" in form else Source.web,
        kind=Kind(form.kind.data),
        unit_id=form.unit_id.data,
        category_id=form.category_id.data,
        subject=form.subject.data,
        body=form.body.data,
        location=form.location.data,
        reporter=reporter,
        uploads=uploads,
        # An HMAC of the address, never the address (no raw IP is kept with a report).
        client_ip=ratelimit.client_key(request.remote_addr),
        locale=str(get_locale()),
    )


@bp.get("/")
def index():
    # The site's root is the public form, except for someone signed in: their own home (a
    # member's supervision work, the staff queue), also when a sign-in returns to `?next=/`.
    if current_user.is_authenticated:
        from intake.auth.routes import home_for

        return redirect(home_for(current_user))
    return redirect(url_for("feedback.submit"))


@bp.route("/jiandu/", methods=["GET", "POST"])
def submit():
    form = _submission_form()
    if form.validate_on_submit():
        wait = _submission_wait()
        if wait:
            minutes = (wait + 59) // 60
            form.form_errors.append(
                _(
                    "Too many reports were sent from your connection in a short time. Your text is still here: please send it again in %(minutes)d minutes.",
                    minutes=minutes,
                )
            )
            response = _submit_page(form, 429)
            response.headers["Retry-After"] = str(wait)
            return response
        item = services.submit_feedback(
            _submission_from_form(form), tracking_prefix=current_app.config["TRACKING_PREFIX"]
        )
        # Read before committing: a commit expires the item, and each read after one reloads it.
        item_id = item.id
        receipt = {"code": item.tracking_code, "secret": item.lookup_secret}
        db.session.commit()
        dispatch_items([item_id])
        # The secret is shown once, on the next page; keep it in the session, not in the URL.
        session[CONFIRMATION_KEY] = receipt
        return redirect(url_for("feedback.submitted"), code=303)
    return _submit_page(form, 400 if form.errors else 200)


def _submit_page(form: SubmissionForm, status: int):
    years = current_app.config["CONTACT_RETENTION_DAYS"] / 365
    page = render_template("feedback/submit.html", form=form, contact_retention_years=f"{years:g}")
    return current_app.make_response((page, status))


def _submission_wait() -> int:
    """0, or the seconds this client must wait: public submissions are limited per client
    (keyed on an HMAC of its address). Signed-in staff and members typing in records are not."""
    if current_user.is_authenticated:
        return 0
    config = current_app.config
    return ratelimit.take(
        "submit",
        ratelimit.client_key(request.remote_addr),
        config["SUBMIT_LIMIT"],
        config["SUBMIT_WINDOW_MINUTES"] * 60,
    )


@bp.before_app_request
def forget_receipt():
    if CONFIRMATION_KEY in session and request.endpoint not in ("feedback.submitted", "static", None):
        session.pop(CONFIRMATION_KEY)


@bp.get("/jiandu/submitted")
def submitted():
    # The secret is shown on this page only: reloading it or switching its language shows it
    # again, and the first other page the session opens forgets it (forget_receipt below).
    # This session may open the progress page without typing it.
    receipt = session.get(CONFIRMATION_KEY)
    if not receipt:
        return redirect(url_for("feedback.lookup"))
    item = services.find_by_tracking(receipt["code"], receipt["secret"])
    if item is not None:
        access.grant(item)
    response = current_app.make_response(render_template("feedback/submitted.html", receipt=receipt))
    response.headers["Cache-Control"] = "no-store"
    return response


def _checked_lookup(code: str, secret: str) -> tuple[FeedbackItem | None, str | None]:
    """The item, or the message to show; failed guesses are counted per client."""
    client = ratelimit.client_key(request.remote_addr)
    if ratelimit.too_many_failures("lookup", client, LOOKUP_FAILURE_LIMIT):
        return None, _("Too many failed attempts. Please try again in 15 minutes.")
    item = services.find_by_tracking(code, secret)
    if item is None:
        ratelimit.record_failure("lookup", client, LOOKUP_WINDOW_SECONDS)
        return None, _("No report matches this tracking code and secret.")
    return item, None


def _lookup_page(form: LookupForm, status: int = 200, note: str | None = None):
    response = current_app.make_response((render_template("feedback/lookup.html", form=form, note=note), status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/jiandu/track", methods=["GET", "POST"])
def lookup():
    # The form posts: code and secret never stand in a URL. ?code= only fills in the code.
    form = LookupForm() if request.method == "POST" else LookupForm(formdata=None, code=request.args.get("code", ""))
    if form.validate_on_submit():
        item, problem = _checked_lookup(form.code.data, form.secret.data)
        if item is not None:
            access.grant(item)
            return redirect(url_for("feedback.status", code=item.tracking_code), code=303)
        form.secret.errors.append(problem)
        return _lookup_page(form, 404)
    return _lookup_page(form, 400 if form.errors else 200)


@bp.get("/jiandu/track/<code>")
def status(code: str):
    if "s" in request.args:
        # A link from a mail sent before links were one-time: check the secret once, then
        # continue on the address without it (a refresh or a shared screenshot shows no secret).
        item, problem = _checked_lookup(code, request.args.get("s", ""))
        if item is None:
            form = LookupForm(formdata=None, code=code)
            form.secret.errors = [problem]
            return _lookup_page(form, 404)
        access.grant(item)
        return redirect(url_for("feedback.status", code=item.tracking_code), code=303)
    item = access.viewable(code)
    if item is None:
        form = LookupForm(formdata=None, code=code)
        return _lookup_page(form, note=_("Enter the lookup secret to see the progress of this report."))
    from intake.triage.services import privacy, reporter_replies

    erase_form = EraseContactForm(formdata=None) if privacy.may_erase_on_request(item) else None
    replies = reporter_replies.sent_replies(item)
    response = current_app.make_response(
        render_template("feedback/status.html", item=item, erase_form=erase_form, replies=replies)
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/jiandu/link/<token>")
def open_link(token: str):
    """The one-time link of a mail: spent on the first visit, which opens the progress page
    for this browser session."""
    item = access.redeem_link(token)
    db.session.commit()
    if item is None:
        note = _(
            "This link has already been used or has expired. Enter the tracking code and lookup secret from the mail."
        )
        return _lookup_page(LookupForm(formdata=None), 404, note=note)
    access.grant(item)
    response = redirect(url_for("feedback.status", code=item.tracking_code), code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/jiandu/track/<code>/erase")
def erase_contact(code: str):
    """The reporter has their contact details erased once the report is closed (个人信息保护法)."""
    from intake.triage.services import privacy

    item = access.viewable(code)
    if item is None:
        abort(404)
    form = EraseContactForm()
    if not form.validate_on_submit() or not privacy.may_erase_on_request(item):
        flash(_("Nothing was erased: tick the box to confirm, once the report is closed."))
    else:
        privacy.erase_contact(item, privacy.REQUESTED)
        db.session.commit()
        flash(_("Your contact details were erased. Your report and its outcome are kept."))
    return redirect(url_for("feedback.status", code=item.tracking_code), code=303)
