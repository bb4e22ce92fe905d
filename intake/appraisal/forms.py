"""Forms of the appraisal. Each keeps what the user typed on error. The ballot itself is read
from the request by routes_ballot (one radio group per unit), with this module's CSRF form."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from intake.core.forms import DateTimeLocalField, IntegerField
from intake.timeutil import county_zone

REQUIRED = _l("This field is required.")


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def to_utc(moment: datetime) -> datetime:
    """A time typed in the county's zone, as the database stores it (naive UTC)."""
    return moment.replace(tzinfo=county_zone()).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


class SessionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=REQUIRED), Length(max=200, message=_l("At most %(n)d characters.", n=200))],
    )
    opens_at = DateTimeLocalField(
        _l("Voting opens"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=REQUIRED)]
    )
    closes_at = DateTimeLocalField(
        _l("Voting closes"), format="%Y-%m-%dT%H:%M", validators=[InputRequired(message=REQUIRED)]
    )
    unit_ids = CheckboxList(_l("Units on the ballot"), coerce=int)
    member_ids = CheckboxList(_l("Voter roll (members of the standing committee)"), coerce=int)
    quorum_numerator = IntegerField(
        _l("Quorum: numerator"), default=2, validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=99)]
    )
    quorum_denominator = IntegerField(
        _l("Quorum: denominator"), default=3, validators=[InputRequired(message=REQUIRED), NumberRange(min=1, max=99)]
    )
    satisfied_percent = IntegerField(
        _l("满意 needs more than this share of valid ballots (%)"),
        default=50,
        validators=[InputRequired(message=REQUIRED), NumberRange(min=0, max=99)],
    )
    basic_percent = IntegerField(
        _l("满意 + 基本满意 need more than this share for 基本满意 (%)"),
        default=50,
        validators=[InputRequired(message=REQUIRED), NumberRange(min=0, max=99)],
    )
    tellers = TextAreaField(
        _l("Tellers (监票人、计票人)"),
        validators=[Optional(), Length(max=1000, message=_l("At most %(n)d characters.", n=1000))],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class PaperBallotsForm(FlaskForm):
    member_ids = CheckboxList(_l("Members who voted on paper"), coerce=int)
    ballots = TextAreaField(
        _l("Paper ballots, one per line"),
        validators=[
            DataRequired(message=REQUIRED),
            Length(max=20000, message=_l("At most %(n)d characters.", n=20000)),
        ],
    )


class CountForm(FlaskForm):
    key_file = FileField(_l("The key file"))
    key_code = StringField(
        _l("Or the key code, as printed"),
        validators=[Optional(), Length(max=200, message=_l("At most %(n)d characters.", n=200))],
    )
