"""Staff forms: queue filters and the status change."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from intake.feedback.models import ItemStatus, Source


def _optional_int(value):
    if value in (None, "", "0", 0):
        return None
    return int(value)


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters change nothing

    status = SelectField(_l("Status"), validate_choice=False)
    unit = SelectField(_l("Unit"), coerce=_optional_int, validate_choice=False)
    category = SelectField(_l("Category"), coerce=_optional_int, validate_choice=False)
    source = SelectField(_l("Source"), validate_choice=False)

    def fill_choices(self, units, categories) -> None:
        self.status.choices = [("", _l("Open (not final)")), ("all", _l("All"))] + [
            (s.value, s.label) for s in ItemStatus
        ]
        self.unit.choices = units
        self.category.choices = categories
        self.source.choices = [("", _l("All sources"))] + [(s.value, s.label) for s in Source]


class StatusChangeForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired(message=_l("Choose a status."))])
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("At most 2000 characters."))],
    )
