"""Two-factor sign-in: the code after the password, and staff turning it on and off."""

import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake import ratelimit
from intake.auth import bp, twofactor
from intake.auth.forms import SecondFactorForm, TwoFactorDisableForm, TwoFactorEnableForm
from intake.auth.models import User
from intake.auth.routes import (
    PENDING_KEY,
    PENDING_NEXT_KEY,
    complete_login,
    load_user,
    record_sign_in_failure,
    sign_in_refused,
)
from intake.extensions import db
from intake.printing.charts import data_uri
from intake.printing.qr import qr_svg
from intake.security import staff_required

PENDING_SECONDS = 5 * 60
SETUP_KEY = "totp_setup"


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(PENDING_KEY) or {}
    if not pending or int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None, {}
    return load_user(str(pending.get("user", ""))), pending


@bp.route("/second-factor", methods=["GET", "POST"])
def second_factor():
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        flash(_("Please sign in again."))
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        account, client = user.username, ratelimit.client_key(request.remote_addr)
        if sign_in_refused(account, client):
            form.code.errors.append(_("Too many failed attempts. Please try again in 15 minutes."))
            return render_template("auth/second_factor.html", form=form), 429
        if twofactor.verify(user, form.code.data):
            db.session.commit()
            session.pop(PENDING_KEY, None)
            return complete_login(user, pending.get("remember", False), session.pop(PENDING_NEXT_KEY, None))
        db.session.rollback()
        record_sign_in_failure(account, client)
        form.code.errors.append(_("The code is wrong or was used already. Enter the current code from the app."))
    return render_template("auth/second_factor.html", form=form), 400 if form.errors else 200


@bp.get("/two-factor")
@staff_required
def two_factor():
    if current_user.totp_secret:
        return render_template(
            "auth/two_factor.html",
            enabled=True,
            codes_left=twofactor.recovery_codes_left(current_user),
            disable_form=TwoFactorDisableForm(),
        )
    return _setup_page(TwoFactorEnableForm())


def _setup_page(form: TwoFactorEnableForm, status: int = 200):
    # The secret waits in the session until the first code confirms the phone holds it.
    secret = session.get(SETUP_KEY) or twofactor.new_secret()
    session[SETUP_KEY] = secret
    uri = twofactor.provisioning_uri(secret, current_user.username, current_app.config["COMMITTEE_NAME"])
    page = render_template(
        "auth/two_factor.html", enabled=False, form=form, secret=secret, qr=data_uri(qr_svg(uri, scale=5))
    )
    return page, status


@bp.post("/two-factor/enable")
@staff_required
def enable_two_factor():
    if current_user.totp_secret:
        abort(409)
    form = TwoFactorEnableForm()
    secret = session.get(SETUP_KEY)
    if not form.validate_on_submit() or not secret:
        return _setup_page(form, 400)
    if not twofactor.code_matches(secret, form.code.data):
        form.code.errors.append(_("The code does not match. Check the phone's time and enter the current code."))
        return _setup_page(form, 400)
    codes = twofactor.enable(current_user, secret)
    db.session.commit()
    session.pop(SETUP_KEY, None)
    response = current_app.make_response(render_template("auth/recovery_codes.html", codes=codes))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/two-factor/disable")
@staff_required
def disable_two_factor():
    form = TwoFactorDisableForm()
    if not form.validate_on_submit() or not current_user.check_password(form.password.data):
        if form.password.data:
            form.password.errors.append(_("The current password is wrong."))
        page = render_template(
            "auth/two_factor.html",
            enabled=True,
            codes_left=twofactor.recovery_codes_left(current_user),
            disable_form=form,
        )
        return page, 400
    twofactor.disable(current_user)
    db.session.commit()
    flash(_("Two-step sign-in is off. Your password alone signs you in now."))
    return redirect(url_for("auth.two_factor"), code=303)
