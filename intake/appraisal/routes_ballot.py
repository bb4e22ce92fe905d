"""Routes of the secret ballot: staff prepare, open, close and count a session; members vote on
their phone and check the published receipts. The vote page and its POST write nothing but the
ballot's own transaction: no flash, no session value, no event row, no log line with the user."""

import base64

from flask import abort, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from intake.appraisal import ballot, member_bp, staff_bp
from intake.appraisal.forms import ConfirmForm, CountForm, PaperBallotsForm, SessionForm, to_utc
from intake.appraisal.models import AppraisalSession, Grade, SessionEvent, SessionState
from intake.appraisal.services import HIDDEN_MESSAGE, AppraisalError, ResultsHidden, voting
from intake.appraisal.services.results import results_view
from intake.auth.models import Role, User
from intake.extensions import db
from intake.program import services as program
from intake.security import member_required, staff_required
from intake.timeutil import utcnow

MAX_KEY_FILE_BYTES = 4096
# The ballot's radio values, one group per unit ("unit-<position>").
MARK_VALUES = {"satisfied": Grade.satisfied, "basic": Grade.basic, "dissatisfied": Grade.dissatisfied, "abstain": None}


def _session_or_404(session_id: int, *options) -> AppraisalSession:
    session = db.session.get(AppraisalSession, session_id, options=list(options))
    if session is None:
        abort(404)
    return session


def hidden(message=None):
    return render_template(
        "error.html", code=403, title=_("Results sealed"), message=str(message or HIDDEN_MESSAGE)
    ), 403


def no_store(response):
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- staff ------------------------------------------------------------------------------------


@staff_bp.get("/")
@staff_required
def session_list():
    return render_template("appraisal/sessions.html", sessions=voting.sessions_of(), cycles=program.cycles())


def _session_form(year: int, formdata=None) -> SessionForm:
    form = SessionForm(formdata=formdata)
    cycle = program.get_cycle(year)
    form.unit_ids.choices = [(cu.id, cu.unit.display_name) for cu in (cycle.units if cycle else [])]
    members = db.session.scalars(
        db.select(User).where(User.role == Role.member, User.is_active_account.is_(True)).order_by(User.display_name)
    )
    form.member_ids.choices = [(u.id, f"{u.display_name} ({u.username})") for u in members]
    if formdata is None:
        form.title.data = _("Democratic appraisal %(year)d (民主评议)", year=year)
        form.unit_ids.data = [cu_id for cu_id, _label in form.unit_ids.choices]
        form.member_ids.data = [u_id for u_id, _label in form.member_ids.choices]
    return form


@staff_bp.route("/new/<int:year>", methods=["GET", "POST"])
@staff_required
def session_new(year: int):
    if program.get_cycle(year) is None:
        abort(404)
    form = _session_form(year, request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate_on_submit():
        try:
            session = voting.create_session(
                year,
                voting.SessionInput(
                    title=form.title.data,
                    opens_at=to_utc(form.opens_at.data),
                    closes_at=to_utc(form.closes_at.data),
                    member_ids=form.member_ids.data or [],
                    cycle_unit_ids=form.unit_ids.data or [],
                    quorum_numerator=form.quorum_numerator.data,
                    quorum_denominator=form.quorum_denominator.data,
                    satisfied_percent=form.satisfied_percent.data,
                    basic_percent=form.basic_percent.data,
                    tellers=form.tellers.data or "",
                ),
                current_user.id,
            )
        except AppraisalError as exc:
            db.session.rollback()
            at_fault = getattr(form, exc.field, None) if exc.field else None
            (at_fault.errors if at_fault is not None else form.form_errors).append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("appraisal.session_page", session_id=session.id), 303)
    status = 400 if request.method == "POST" else 200
    return render_template("appraisal/session_new.html", form=form, year=year), status


def _session_page(session: AppraisalSession, status=200, paper_form=None, count_form=None, error=None):
    events = db.session.scalars(
        db.select(SessionEvent).where(SessionEvent.session_id == session.id).order_by(SessionEvent.id)
    ).all()
    paper_form = paper_form or PaperBallotsForm()
    roll = voting.roll_of(session)
    paper_form.member_ids.choices = [(r.user_id, r.user.display_name) for r in roll if not r.has_voted]
    return render_template(
        "appraisal/session.html",
        session=session,
        state=voting.effective_state(session),
        turnout=voting.turnout(session),
        quorum_met=voting.quorum_met(session),
        roll=roll,
        events=events,
        confirm=ConfirmForm(),
        paper_form=paper_form,
        count_form=count_form or CountForm(),
        error=error,
        now=utcnow(),
    ), status


@staff_bp.get("/<int:session_id>")
@staff_required
def session_page(session_id: int):
    return _session_page(_session_or_404(session_id))


@staff_bp.post("/<int:session_id>/open")
@staff_required
def session_open(session_id: int):
    session = _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        return _session_page(session, 400, error=_("The form expired. Please submit again."))
    try:
        private = voting.open_session(session, current_user.id)
    except AppraisalError as exc:
        db.session.rollback()
        return _session_page(session, 400, error=str(exc))
    db.session.commit()
    # The private key leaves the server in this response only: shown, downloadable, never stored.
    key_file = ballot.key_file_text(private, session.title, session.id)
    download = "data:text/plain;charset=utf-8;base64," + base64.b64encode(key_file.encode("utf-8")).decode("ascii")
    page = render_template("appraisal/key.html", session=session, code=ballot.key_code(private), download=download)
    del private
    return no_store(page)


@staff_bp.post("/<int:session_id>/close")
@staff_required
def session_close(session_id: int):
    session = _session_or_404(session_id)
    if not ConfirmForm().validate_on_submit():
        return _session_page(session, 400, error=_("The form expired. Please submit again."))
    try:
        voting.close_session(session, current_user.id)
    except AppraisalError as exc:
        db.session.rollback()
        return _session_page(session, 400, error=str(exc))
    db.session.commit()
    return redirect(url_for("appraisal.session_page", session_id=session.id), 303)


@staff_bp.post("/<int:session_id>/paper")
@staff_required
def session_paper(session_id: int):
    session = _session_or_404(session_id)
    form = PaperBallotsForm()
    form.member_ids.choices = [(r.user_id, r.user.display_name) for r in voting.roll_of(session)]
    if form.validate_on_submit():
        try:
            voting.enter_paper_ballots(session, form.member_ids.data or [], form.ballots.data, current_user.id)
        except AppraisalError as exc:
            db.session.rollback()
            form.ballots.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("appraisal.session_page", session_id=session.id), 303)
    return _session_page(session, 400, paper_form=form)


@staff_bp.post("/<int:session_id>/count")
@staff_required
def session_count(session_id: int):
    session = _session_or_404(session_id)
    form = CountForm()
    if form.validate_on_submit():
        key_text = form.key_code.data or ""
        upload = form.key_file.data
        if upload and getattr(upload, "filename", None):
            key_text = upload.stream.read(MAX_KEY_FILE_BYTES + 1).decode("utf-8", "replace")
            if len(key_text) > MAX_KEY_FILE_BYTES:
                key_text = ""
        try:
            voting.count_ballots(session, key_text, current_user.id)
        except ResultsHidden as exc:
            db.session.rollback()
            return hidden(exc)
        except AppraisalError as exc:
            db.session.rollback()
            form.key_code.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("appraisal.session_results", session_id=session.id), 303)
    form.key_code.data = ""  # a key typed wrongly is not echoed back into the page
    return _session_page(session, 400, count_form=form)


def _results_page(session: AppraisalSession, staff: bool):
    try:
        view = results_view(session)
    except ResultsHidden as exc:
        return hidden(exc)
    return render_template("appraisal/results.html", session=session, view=view, staff=staff)


@staff_bp.get("/<int:session_id>/results")
@staff_required
def session_results(session_id: int):
    return _results_page(_session_or_404(session_id), staff=True)


# --- members ----------------------------------------------------------------------------------


@member_bp.get("/")
@member_required
def my_sessions():
    return render_template(
        "appraisal/member_sessions.html",
        rows=voting.sessions_of_voter(current_user.id),
        now=utcnow(),
        voting_open=voting.voting_open,
        effective_state=voting.effective_state,
    )


def _voter_session_or_404(session_id: int, *options, check_roll: bool = True) -> AppraisalSession:
    session = _session_or_404(session_id, *options)
    if session.state is SessionState.draft or (check_roll and voting.roll_entry(session, current_user.id) is None):
        abort(404)
    return session


def _ballot_page(session, chosen: dict, error: str | None = None, status: int = 200, entry=None):
    entry = entry or voting.roll_entry(session, current_user.id)
    page = render_template(
        "appraisal/vote.html",
        session=session,
        entry=entry,
        open_now=voting.voting_open(session),
        chosen=chosen,
        error=error,
        form=ConfirmForm(),
        marks=list(MARK_VALUES),
    )
    return no_store((page, status))


def _refused(session: AppraisalSession, chosen: dict, message: str):
    entry = voting.roll_entry(session, current_user.id)
    if entry is None:
        abort(404)
    return _ballot_page(session, chosen, message, 400, entry)


@member_bp.get("/<int:session_id>/vote")
@member_required
def vote(session_id: int):
    return _ballot_page(_voter_session_or_404(session_id), {})


@member_bp.post("/<int:session_id>/vote")
@member_required
def vote_cast(session_id: int):
    # 50 members vote within the same second: the session comes with its units in one statement,
    # and the roll is read only on a refusal (a cast that flips the member's flag was on it);
    # anyone not on the roll still gets the 404 the ballot page gives them.
    session = _voter_session_or_404(session_id, joinedload(AppraisalSession.units), check_roll=False)
    chosen = {su.position: request.form.get(f"unit-{su.position}", "") for su in session.units}
    if not ConfirmForm().validate_on_submit():
        return _refused(session, chosen, _("The form expired. Please submit again."))
    if any(value not in MARK_VALUES for value in chosen.values()):
        return _refused(session, chosen, _("Mark every unit: 满意, 基本满意, 不满意 or abstain."))
    marks = [MARK_VALUES[chosen[su.position]] for su in session.units]
    try:
        receipt = voting.cast_vote(session, current_user.id, marks)
    except AppraisalError as exc:
        db.session.rollback()
        return _refused(session, {}, str(exc))
    # The page is made before the commit, while the member and the session are loaded: after it
    # they would be read again, a second transaction for every vote of the burst. A failed commit
    # raises, and the page is never sent.
    page = render_template("appraisal/voted.html", session=session, receipt=receipt)
    db.session.commit()
    return no_store(page)


@member_bp.get("/<int:session_id>/receipts")
@member_required
def receipts(session_id: int):
    session = _voter_session_or_404(session_id)
    try:
        codes = voting.receipt_codes(session)
    except ResultsHidden as exc:
        return hidden(exc)
    return render_template("appraisal/receipts.html", session=session, codes=codes)


@member_bp.get("/<int:session_id>/results")
@member_required
def member_results(session_id: int):
    return _results_page(_voter_session_or_404(session_id), staff=False)
