"""Forms of the annual program: a new cycle, a stage's owner and date, the lottery's commitment
and its draw. Exclusions are one reason field per eligible unit (see routes.exclusions_from)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from intake.core.forms import DateField, IntegerField
from intake.program.lottery import FORMAT_MAX_LENGTH

REQUIRED = _l("This field is required.")


class CycleForm(FlaskForm):
    year = IntegerField(
        _l("Year"),
        validators=[
            InputRequired(message=REQUIRED),
            NumberRange(min=2000, max=2100, message=_l("The year must be between 2000 and 2100.")),
        ],
    )
    starts_on = DateField(_l("Date of the mobilisation meeting (动员部署)"), validators=[Optional()])


class StageForm(FlaskForm):
    owner = StringField(_l("Owner"), validators=[Length(max=100, message=_l("At most %(n)d characters.", n=100))])
    due_on = DateField(_l("Due date"), validators=[Optional()])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class CommitForm(FlaskForm):
    count = IntegerField(
        _l("Number of units to draw"),
        validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=100, message=_l("Between 1 and 100."))],
    )
    beacon_source = TextAreaField(
        _l("Source of the random value, named in advance"),
        validators=[InputRequired(message=REQUIRED), Length(max=500, message=_l("At most %(n)d characters.", n=500))],
    )
    beacon_format = StringField(
        _l("Exact format of the random value"),
        validators=[
            Optional(),
            Length(max=FORMAT_MAX_LENGTH, message=_l("At most %(n)d characters.", n=FORMAT_MAX_LENGTH)),
        ],
    )
    correction_reason = TextAreaField(
        _l("Reason for the correction"),
        validators=[Optional(), Length(max=1000, message=_l("At most %(n)d characters.", n=1000))],
    )


class DrawForm(FlaskForm):
    beacon = StringField(
        _l("The random value, as its source published it"),
        validators=[InputRequired(message=REQUIRED), Length(max=500, message=_l("At most %(n)d characters.", n=500))],
    )
