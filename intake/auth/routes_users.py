"""The admins' users page: create, edit, disable and re-enable accounts (staff, members, unit
liaisons with their unit, admins), reset a password to a temporary one shown once, see the
last sign-in. An account whose password was reset must change it at its next sign-in."""

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from intake.auth import bp, services
from intake.auth.forms import UserActionForm, UserForm
from intake.auth.models import Role, User
from intake.extensions import db
from intake.reference.services import staff_unit_choices
from intake.security import admin_required

# What a user who must change their password may still open.
OPEN_WHILE_CHANGING = {"auth.change_password", "auth.logout", "static"}


@bp.before_app_request
def change_a_temporary_password_first():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in OPEN_WHILE_CHANGING
    ):
        flash(_("Your password was reset by an administrator: please choose a new one."))
        return redirect(url_for("auth.change_password"))
    return None


def _user_form(**kwargs) -> UserForm:
    form = UserForm(**kwargs)
    form.role.choices = [(role.value, role.label) for role in Role]
    form.unit_id.choices = staff_unit_choices(_("No unit"))
    return form


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/users")
@admin_required
def users():
    return render_template("auth/users.html", users=services.all_users(), action_form=UserActionForm())


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        password = services.generate_password()
        try:
            user = services.create_user(
                form.username.data,
                password,
                Role(form.role.data),
                display_name=form.display_name.data,
                email=form.email.data or None,
                unit_id=form.unit_id.data or None,
            )
        except services.AccountError:
            form.username.errors.append(_("This username is taken."))
        else:
            user.must_change_password = True
            db.session.commit()
            page = render_template("auth/user_password.html", user=user, password=password, created=True)
            return _no_store(make_response(page))
    return render_template("auth/user_form.html", form=form, user=None), 400 if form.errors else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(obj=user, data={"role": user.role.value, "unit_id": user.unit_id or 0})
    form.username.data = user.username  # not editable: sign-in names stay put
    if form.validate_on_submit():
        try:
            services.update_user(
                user.id,
                current_user.id,
                display_name=form.display_name.data,
                email=form.email.data or None,
                role=Role(form.role.data),
                unit_id=form.unit_id.data or None,
            )
        except services.AccountError:
            db.session.rollback()
            form.role.errors.append(_("You cannot change your own role."))
        else:
            db.session.commit()
            flash(_("Account saved."))
            return redirect(url_for("auth.users"), code=303)
    status = 400 if form.errors else 200
    return render_template("auth/user_form.html", form=form, user=user, action_form=UserActionForm()), status


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_user_active(user_id: int):
    user = db.get_or_404(User, user_id)
    if not UserActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        services.set_account_active(user.id, current_user.id, active)
    except services.AccountError:
        flash(_("You cannot disable your own account."))
        return redirect(url_for("auth.users"), code=303)
    db.session.commit()
    flash(_("Account enabled.") if active else _("Account disabled; its sessions have ended."))
    return redirect(url_for("auth.users"), code=303)


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset_user_password(user_id: int):
    user = db.get_or_404(User, user_id)
    if not UserActionForm().validate_on_submit():
        abort(400)
    password = services.reset_password(user.id)
    db.session.commit()
    # Shown on this page only, never in a flash (the session cookie is signed, not encrypted).
    page = render_template("auth/user_password.html", user=user, password=password, created=False)
    return _no_store(make_response(page))
