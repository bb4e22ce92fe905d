"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Optional, Regexp, ValidationError

from intake.auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[InputRequired(message=_l("Please enter your username.")), Length(max=64)]
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Please enter your password.")), Length(max=256)]
    )
    remember = BooleanField(_l("Keep me signed in on this device (not for staff accounts)"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Please enter your current password.")), Length(max=MAX_PASSWORD_LENGTH)],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(message=_l("Please enter a new password.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("The password must have between %(min)d and %(max)d characters."),
            ),
        ],
    )
    new_password_again = PasswordField(
        _l("New password again"),
        validators=[
            InputRequired(message=_l("Please enter the new password a second time.")),
            EqualTo("new_password", message=_l("The two new passwords differ.")),
        ],
    )


class LockoutClearForm(FlaskForm):
    kind = SelectField(choices=[("account", "account"), ("client", "client")], validators=[InputRequired()])
    who = HiddenField(validators=[InputRequired(), Length(max=64)])


class SecondFactorForm(FlaskForm):
    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[InputRequired(message=_l("Please enter the code.")), Length(max=32)],
    )


class TwoFactorEnableForm(FlaskForm):
    code = StringField(
        _l("The 6-digit code the app shows now"),
        validators=[InputRequired(message=_l("Please enter the code.")), Length(max=16)],
    )


class TwoFactorDisableForm(FlaskForm):
    password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=_l("Please enter your current password.")), Length(max=256)],
    )


class UserForm(FlaskForm):
    """An account on the admins' users page; `username` only when it is created."""

    username = StringField(
        _l("Username"),
        validators=[
            InputRequired(message=_l("Please enter a username.")),
            Length(max=64),
            Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Letters, digits, dots, hyphens and underscores only.")),
        ],
    )
    display_name = StringField(_l("Name shown to others"), validators=[Length(max=100)])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=254),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter a valid email address.")),
        ],
    )
    role = SelectField(_l("Role"), validators=[InputRequired()])
    unit_id = SelectField(_l("Unit (for a unit liaison)"), coerce=int, default=0)

    def validate_unit_id(self, field):
        if (self.role.data == "liaison") != bool(field.data):
            raise ValidationError(_l("A unit liaison needs a unit, and only a unit liaison has one."))


class UserActionForm(FlaskForm):
    """Disable, enable or reset the password of an account: only the CSRF token."""
