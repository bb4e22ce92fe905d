"""Login and logout, wrong-password limits and the admins' view of them."""

import logging
import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from intake import ratelimit
from intake.auth import bp, services
from intake.auth.forms import LockoutClearForm, LoginForm, PasswordChangeForm
from intake.auth.models import User
from intake.extensions import db, login_manager
from intake.security import admin_required

log = logging.getLogger(__name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # "id:version" (User.get_id); a cookie from before a revocation carries an older version.
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18 or len(version) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


login_manager.login_view = "auth.login"
login_manager.login_message = None
# Wrong passwords are counted per account (guessing one account from many addresses) and per
# client (guessing many accounts from one address), each against its own limit.
ACCOUNT_SCOPE = "login-account"
CLIENT_SCOPE = "login-client"
LOGIN_WINDOW_SECONDS = 15 * 60


@bp.before_app_request
def expire_idle_staff_session():
    # A staff or admin session left open on a shared office computer ends after the idle time.
    if request.endpoint == "static" or not current_user.is_authenticated or not current_user.is_staff:
        return None
    now = int(time.time())
    last_seen = session.get("last_seen")
    idle_seconds = current_app.config["STAFF_IDLE_MINUTES"] * 60
    # No last_seen: the session was not made by a staff sign-in (login sets it) but restored
    # from a remember cookie, which staff are not given; it would dodge the idle limit.
    if not isinstance(last_seen, int) or now - last_seen > idle_seconds:
        logout_user()
        session.pop("last_seen", None)
        flash(_("You were signed out after a period of inactivity. Please sign in again."))
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    session["last_seen"] = now
    return None


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect after login is a phishing tool.
    if not target:
        return None
    parts = urlsplit(target)
    # Browsers read a backslash as a slash (/\evil.example is //evil.example) and drop tabs
    # and newlines, so neither may appear at all.
    if any(ch in target for ch in "\\\t\r\n"):
        return None
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    if user.is_staff:
        return url_for("triage.queue")
    if user.role.value == "liaison":
        return url_for("unit.unit_tasks")
    if user.role.value == "member":
        # A member's home is their supervision work (groups, tasks, the year's calendar).
        return url_for("member_program.home")
    return url_for("feedback.submit")


def sign_in_refused(account: str, client: str) -> bool:
    """Too many wrong passwords or codes lately, for this account or from this client."""
    config = current_app.config
    return ratelimit.too_many_failures(
        ACCOUNT_SCOPE, account, config["LOGIN_ACCOUNT_FAILURES"]
    ) or ratelimit.too_many_failures(CLIENT_SCOPE, client, config["LOGIN_CLIENT_FAILURES"])


def record_sign_in_failure(account: str, client: str) -> None:
    ratelimit.record_failure(ACCOUNT_SCOPE, account, LOGIN_WINDOW_SECONDS)
    ratelimit.record_failure(CLIENT_SCOPE, client, LOGIN_WINDOW_SECONDS)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        account = form.username.data.strip().lower()
        client = ratelimit.client_key(request.remote_addr)
        if sign_in_refused(account, client):
            form.password.errors.append(_("Too many failed attempts. Please try again in 15 minutes."))
            return render_template("auth/login.html", form=form), 429
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            db.session.commit()
            remember = bool(form.remember.data)
            target = _safe_next(request.args.get("next"))
            if user.totp_secret:
                # The password was right; the session is not signed in until the code is.
                session[PENDING_KEY] = {"user": user.get_id(), "at": int(time.time()), "remember": remember}
                session[PENDING_NEXT_KEY] = target
                return redirect(url_for("auth.second_factor"), code=303)
            return complete_login(user, remember, target)
        record_sign_in_failure(account, client)
        # The client as its HMAC (no address in logs); the name as typed, quoted and cut short.
        log.warning("sign-in failed: account %r, client %s", account[:64], client[:12])
        form.password.errors.append(_("Wrong username or password."))
    return render_template("auth/login.html", form=form), 401 if form.errors else 200


PENDING_KEY = "pending_second_factor"
PENDING_NEXT_KEY = "pending_next"


def complete_login(user: User, remember: bool, target: str | None):
    # Staff sessions end when idle (shared office computers): no remember cookie.
    login_user(user, remember=remember and not user.is_staff)
    if user.is_staff:
        session["last_seen"] = int(time.time())
    return redirect(target or home_for(user))


@bp.post("/logout")
@login_required
def logout():
    services.revoke_sessions(current_user.id)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("auth.login"))


PASSWORD_CHANGE_FAILURE_LIMIT = 5


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        who = str(current_user.id)
        if ratelimit.too_many_failures("password", who, PASSWORD_CHANGE_FAILURE_LIMIT):
            form.current_password.errors.append(_("Too many failed attempts. Please try again in 15 minutes."))
            return render_template("auth/password.html", form=form), 429
        try:
            services.change_own_password(current_user.id, form.current_password.data, form.new_password.data)
        except services.WrongPassword:
            ratelimit.record_failure("password", who, LOGIN_WINDOW_SECONDS)
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            db.session.commit()
            # Every other session has ended; this one carries on with the new version.
            login_user(db.session.get(User, current_user.id))
            session["last_seen"] = int(time.time())
            flash(_("Your password has been changed. You are signed out on all other devices."))
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form), 400 if form.errors else 200


@bp.get("/lockouts")
@admin_required
def lockouts():
    config = current_app.config
    return render_template(
        "auth/lockouts.html",
        accounts=ratelimit.failures(ACCOUNT_SCOPE),
        clients=ratelimit.failures(CLIENT_SCOPE),
        account_limit=config["LOGIN_ACCOUNT_FAILURES"],
        client_limit=config["LOGIN_CLIENT_FAILURES"],
        form=LockoutClearForm(),
    )


@bp.post("/lockouts/clear")
@admin_required
def clear_lockout():
    form = LockoutClearForm()
    if not form.validate_on_submit():
        flash(_("Nothing was cleared: the request was incomplete. Please try again."))
        return redirect(url_for("auth.lockouts")), 303
    scope = ACCOUNT_SCOPE if form.kind.data == "account" else CLIENT_SCOPE
    ratelimit.clear(scope, form.who.data)
    log.warning("sign-in failures cleared by admin %s: %s %r", current_user.username, form.kind.data, form.who.data)
    flash(_("The failed attempts were cleared; sign-in is open again."))
    return redirect(url_for("auth.lockouts")), 303


@bp.post("/alive")
@login_required
def alive():
    """A staff page reports typing or clicking (static/keepalive.js): the idle clock restarts
    (expire_idle_staff_session ran first), nothing else happens."""
    return "", 204
