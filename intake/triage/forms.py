"""Staff forms: queue filters, the status change, and triage's item and admin forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from intake.core.forms import DateField, optional_id
from intake.feedback.models import ItemStatus, Priority, Source


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters change nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validate_choice=False)
    unit = SelectField(_l("Unit"), coerce=optional_id, validate_choice=False)
    category = SelectField(_l("Category"), coerce=optional_id, validate_choice=False)
    source = SelectField(_l("Source"), validate_choice=False)
    assignee = SelectField(_l("Assignee"), validate_choice=False)
    priority = SelectField(_l("Priority"), validate_choice=False)
    date_from = DateField(_l("Received from"), validators=[Optional()])
    date_to = DateField(_l("Received until"), validators=[Optional()])
    auto = SelectField(_l("Automatic mail"), validate_choice=False)
    flagged = BooleanField(_l("Flagged"))
    attachment = BooleanField(_l("With attachments"))
    overdue = BooleanField(_l("Rectification overdue"))

    def fill_choices(self, units, categories, staff=()) -> None:
        self.status.choices = [("", _l("Open (not final)")), ("all", _l("All"))] + [
            (s.value, s.label) for s in ItemStatus
        ]
        self.unit.choices = units
        self.category.choices = categories
        self.source.choices = [("", _l("All sources"))] + [(s.value, s.label) for s in Source]
        self.assignee.choices = [("", _l("Anyone")), ("me", _l("Me")), ("none", _l("Nobody"))] + [
            (str(u.id), u.display_name) for u in staff
        ]
        self.priority.choices = [("", _l("Any priority"))] + [(p.value, p.label) for p in Priority]
        self.auto.choices = [("", _l("People's reports")), ("1", _l("Automatic mail only")), ("all", _l("Both"))]


class StatusChangeForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[InputRequired(message=_l("Choose a status."))])
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("At most 2000 characters."))],
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        _l("Internal note"),
        validators=[
            InputRequired(message=_l("Write a note.")),
            Length(max=4000, message=_l("At most 4000 characters.")),
        ],
    )


class ReplyForm(FlaskForm):
    template = HiddenField(validators=[Optional(), Length(max=32)])  # reply_templates.code
    subject = StringField(
        _l("Subject"),
        validators=[
            InputRequired(message=_l("Write a subject.")),
            Length(max=250, message=_l("At most 250 characters.")),
        ],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[
            InputRequired(message=_l("Write the reply.")),
            Length(max=20000, message=_l("At most 20000 characters.")),
        ],
    )


class RulesForm(FlaskForm):
    threshold = DecimalField(
        _l("Apply suggestions automatically from this confidence"),
        places=2,
        validators=[InputRequired(), NumberRange(min=0, max=1.01)],
    )


class UnitSheetForm(FlaskForm):
    sheet = FileField(_l("Unit list (xlsx)"), validators=[FileRequired()])


class TemplateForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[InputRequired(), Length(max=100)])
    subject = StringField(_l("Subject"), validators=[InputRequired(), Length(max=250)])
    body = TextAreaField(_l("Text"), validators=[InputRequired(), Length(max=20000)])
