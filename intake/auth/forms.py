"""Login form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import InputRequired, Length


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"), validators=[InputRequired(message=_l("Please enter your username.")), Length(max=64)]
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(message=_l("Please enter your password.")), Length(max=256)]
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
