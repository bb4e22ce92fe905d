"""Forms of the questionnaire pages. The answers themselves are not a WTForms form (their
fields are the questionnaire's questions): `AnswerForm` carries the CSRF token and the
one-time code, and intake/surveys/answering.py reads the rest."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from intake.surveys.models import KIND_LABELS, QuestionKind
from intake.timeutil import county_zone

REQUIRED = _l("This field is required.")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def to_utc(local: datetime) -> datetime:
    """A time typed in the county's zone, as the naive UTC the database keeps."""
    return local.replace(tzinfo=county_zone()).astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime) -> datetime:
    return utc.replace(tzinfo=UTC).astimezone(county_zone()).replace(tzinfo=None)


def _in_range(form, field) -> None:
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("The year must be between 2000 and 2100."))


def _when(label):
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMAT,
        validators=[InputRequired(message=REQUIRED), _in_range],
        render_kw={"step": 60},
    )


class SettingsForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(message=REQUIRED), Length(max=200, message=_l("At most %(n)d characters.", n=200))],
    )
    intro = TextAreaField(
        _l("Introduction shown above the questions"),
        validators=[Optional(), Length(max=2000, message=_l("At most %(n)d characters.", n=2000))],
    )
    opens_at = _when(_l("Opens at"))
    closes_at = _when(_l("Closes at"))
    requires_code = BooleanField(_l("Closed group: every answer needs a one-time code"))


class NewQuestionnaireForm(SettingsForm):
    year = SelectField(_l("Supervision year"), coerce=int, validators=[InputRequired(message=REQUIRED)])
    unit_id = SelectField(_l("Supervised unit"), coerce=int)
    title = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=200, message=_l("At most %(n)d characters.", n=200))],
        description=_l("Leave empty to use the template's title."),
    )
    from_template = BooleanField(
        _l("Start from the template questions (满意吗, 等了多久, 跑了几次, 问题, 建议)"), default=True
    )


class QuestionForm(FlaskForm):
    label = TextAreaField(
        _l("Question"),
        validators=[InputRequired(message=REQUIRED), Length(max=1000, message=_l("At most %(n)d characters.", n=1000))],
    )
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in QuestionKind])
    name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=64, message=_l("At most %(n)d characters.", n=64))],
        description=_l("Letters, digits and _ (used in the Excel sheet and in skip rules). Empty: made up for you."),
    )
    hint = StringField(
        _l("Hint"), validators=[Optional(), Length(max=500, message=_l("At most %(n)d characters.", n=500))]
    )
    required = BooleanField(_l("An answer is required"))
    choices = TextAreaField(
        _l("Choices (single and multiple choice)"),
        validators=[Optional(), Length(max=5000, message=_l("At most %(n)d characters.", n=5000))],
        description=_l("One per line. To give a choice a short name of its own: name | text."),
    )
    show_if = SelectField(_l("Show only if"), choices=[])


class ImportForm(FlaskForm):
    workbook = FileField(_l("XLSForm workbook (.xlsx)"))


class CodesForm(FlaskForm):
    count = IntegerField(
        _l("Number of one-time codes"),
        validators=[
            InputRequired(message=REQUIRED),
            NumberRange(min=1, max=500, message=_l("Between %(min)d and %(max)d.", min=1, max=500)),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AnswerForm(FlaskForm):
    code = StringField(
        _l("One-time code"), validators=[Optional(), Length(max=32, message=_l("At most %(n)d characters.", n=32))]
    )


class ResultsFilterForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    search = StringField(_l("Search the free-text answers"), validators=[Optional(), Length(max=100)])
