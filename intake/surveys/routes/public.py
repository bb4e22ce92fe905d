"""Answering, for the public: /q/<token>. Server-rendered, no JavaScript needed (WeChat's
browser, old phones); one answer per device asked for politely with a cookie; bursts from one
client limited through the app's rate limiter, keyed on an HMAC of the address so the limiter
never holds the address itself."""

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from intake import ratelimit
from intake.extensions import db
from intake.surveys import public_bp, services
from intake.surveys.answering import CodeRejected, Submission, read_submission, store_response
from intake.surveys.forms import AnswerForm
from intake.surveys.models import Questionnaire
from intake.timeutil import local_today, utcnow

ANSWERED_COOKIE_DAYS = 180


def _cookie_name(q: Questionnaire) -> str:
    return "answered_" + q.token


def _questionnaire(token: str) -> Questionnaire:
    q = services.by_token(token) if len(token) <= 32 else None
    if q is None:
        abort(404)
    return q


def _page(q: Questionnaire, form: AnswerForm, submission: Submission, status: int = 200, problem: str | None = None):
    return render_template("surveys/answer.html", q=q, form=form, submission=submission, problem=problem), status


@public_bp.route("/<token>", methods=["GET", "POST"])
def answer(token: str):
    q = _questionnaire(token)
    now = utcnow()
    if not q.is_open(now):
        state = "not_yet" if now < q.opens_at else "closed"
        page = render_template("surveys/closed.html", q=q, state=state)
        return page, 200 if request.method == "GET" else 409
    form = AnswerForm()
    if request.method == "GET":
        if request.cookies.get(_cookie_name(q)) and not request.args.get("again"):
            return render_template("surveys/thanks.html", q=q, already=True)
        return _page(q, form, Submission())
    limit, window = current_app.config["SURVEY_BURST_LIMIT"], current_app.config["SURVEY_BURST_SECONDS"]
    submission = read_submission(q, request.form.getlist)
    # Every submission counts, accepted or not: what is limited is a burst, not a mistake.
    if ratelimit.take("survey", ratelimit.client_key(request.remote_addr), limit, window):
        return _page(
            q, form, submission, 429, _("Too many answers from this connection. Please try again in a few minutes.")
        )
    if not form.validate_on_submit():
        return _page(q, form, submission, 400)
    if q.requires_code and not (form.code.data or "").strip():
        form.code.errors.append(_("Please enter the one-time code you were given."))
    if submission.errors or form.code.errors:
        return _page(q, form, submission, 400)
    try:
        store_response(q, submission, local_today(), form.code.data)
        db.session.commit()
    except CodeRejected:
        db.session.rollback()
        form.code.errors.append(_("This code is unknown or has already been used."))
        return _page(q, form, submission, 400)
    response = redirect(url_for("surveys_public.thanks", token=q.token), 303)
    response.set_cookie(
        _cookie_name(q),
        "1",
        max_age=ANSWERED_COOKIE_DAYS * 24 * 3600,
        path=url_for("surveys_public.answer", token=q.token),
        httponly=True,
        samesite="Lax",
    )
    return response


@public_bp.get("/<token>/thanks")
def thanks(token: str):
    return render_template("surveys/thanks.html", q=_questionnaire(token), already=False)
