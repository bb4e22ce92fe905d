"""Forms of the visits. The visit form also works without script (a plain POST); with script
the phone keeps it as a draft and sends it from the outbox. Each keeps what was typed on error."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from intake.core.forms import DateTimeLocalField, IntegerField, id_choice
from intake.visits.models import ANSWER_KIND_LABELS, RESOLUTION_LABELS

REQUIRED = _l("This field is required.")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class VisitForm(FlaskForm):
    """The fixed part of a visit; the checklist's answers come as `answer-<key>` fields."""

    uuid = HiddenField()
    cycle_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    unit_id = SelectField(_l("Unit visited"), coerce=id_choice, validate_choice=False, validators=[Optional()])
    place = StringField(_l("Window or office"), filters=[strip])
    visited_at = DateTimeLocalField(_l("Date and time of the visit"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    incognito = BooleanField(_l("I went incognito, as an ordinary citizen (暗访)"))
    notes = TextAreaField(_l("What you saw and heard"), filters=[strip])
    findings = TextAreaField(_l("Problems found, one a line (each becomes a feedback item)"), filters=[strip])
    photos = MultipleFileField(_l("Photos"))


class ChecklistRowForm(FlaskForm):
    class Meta:
        csrf = False

    key = HiddenField()
    label = StringField(_l("Question"), filters=[strip])
    kind = SelectField(_l("Answer"), choices=[(k.value, v) for k, v in ANSWER_KIND_LABELS.items()])


class ChecklistForm(FlaskForm):
    rows = FieldList(FormField(ChecklistRowForm), min_entries=1)


class ResolveForm(FlaskForm):
    resolution = RadioField(
        _l("Resolution"),
        choices=[(k.value, v) for k, v in RESOLUTION_LABELS.items()],
        validators=[InputRequired(message=REQUIRED)],
    )
