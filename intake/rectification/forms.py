"""Forms of the ledger: routing, the unit's steps, members' visits, staff decisions, rating."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from intake.core.forms import DateField, IntegerField, optional_id, validate_uploads
from intake.rectification.models.ratings import SATISFACTION_LABELS, Satisfaction
from intake.rectification.models.tasks import TaskStatus
from intake.rectification.models.visits import VISIT_OUTCOME_LABELS, VisitOutcome

REQUIRED = _l("This field is required.")


def _text(label, max_chars=4000, required=True):
    validators = [InputRequired(message=REQUIRED)] if required else [Optional()]
    validators.append(Length(max=max_chars, message=_l("At most %(n)d characters.", n=max_chars)))
    return TextAreaField(label, validators=validators)


class RouteForm(FlaskForm):
    """On the staff item page: route to a unit (分办), as a new task or into an open one."""

    item_id = HiddenField(validators=[InputRequired()])
    unit_id = SelectField(
        _l("Responsible unit"), coerce=optional_id, validators=[InputRequired(message=_l("Choose a unit."))]
    )
    task_id = SelectField(_l("Task"), coerce=optional_id, validate_choice=False)
    problem = _text(_l("Problem (as the committee states it)"), required=False)
    requirement = _text(_l("Requirement"), required=False)
    deadline_workdays = IntegerField(
        _l("Deadline (working days)"),
        validators=[Optional(), NumberRange(min=1, max=250, message=_l("Between 1 and 250."))],
    )
    first_answer_workdays = IntegerField(
        _l("First answer (working days)"),
        validators=[Optional(), NumberRange(min=1, max=60, message=_l("Between 1 and 60."))],
    )

    def validate(self, extra_validators=None) -> bool:
        # Optional() ends a field's chain on empty input, so the "required for a new task"
        # rule is checked here, after the fields.
        ok = super().validate(extra_validators)
        if not self.task_id.data:
            for field in (self.problem, self.requirement):
                if not (field.data or "").strip():
                    field.errors = list(field.errors) + [REQUIRED]
                    ok = False
        return ok


class SignForm(FlaskForm):
    measures = _text(_l("Rectification measures"))
    responsible_person = StringField(
        _l("Person in charge"), validators=[InputRequired(message=REQUIRED), Length(max=100)]
    )
    note = _text(_l("Note (optional)"), 2000, required=False)


class ProgressForm(FlaskForm):
    note = _text(_l("Progress"))
    files = MultipleFileField(_l("Evidence (photos or documents)"), validators=[validate_uploads])


class ExtensionForm(FlaskForm):
    requested_deadline = DateField(_l("New deadline requested"), validators=[InputRequired(message=REQUIRED)])
    reason = _text(_l("Reason"), 2000)


class CompletionForm(FlaskForm):
    completion_report = _text(_l("What was done"))
    completion_files = MultipleFileField(_l("Evidence (photos or documents)"), validators=[validate_uploads])


class VisitForm(FlaskForm):
    visited_on = DateField(_l("Date of the visit"), validators=[InputRequired(message=REQUIRED)])
    visitors = StringField(_l("Who went"), validators=[InputRequired(message=REQUIRED), Length(max=300)])
    findings = _text(_l("Findings"))
    outcome = RadioField(
        _l("Verdict"),
        choices=[(o.value, VISIT_OUTCOME_LABELS[o]) for o in VisitOutcome],
        validators=[InputRequired(message=_l("Choose a verdict."))],
    )
    reasons = _text(_l("Reasons"), 2000, required=False)
    photos = MultipleFileField(_l("Photos"), validators=[validate_uploads])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.outcome.data == VisitOutcome.returned.value and not (self.reasons.data or "").strip():
            self.reasons.errors = list(self.reasons.errors) + [_l("Say why the task goes back.")]
            ok = False
        return ok


class DeadlineForm(FlaskForm):
    deadline = DateField(_l("Deadline"), validators=[InputRequired(message=REQUIRED)])
    first_answer_due = DateField(_l("First answer due"), validators=[Optional()])
    note = _text(_l("Note (optional)"), 2000, required=False)


class ExtensionDecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[("approve", _l("Approve")), ("reject", _l("Refuse"))],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    note = _text(_l("Note (optional)"), 2000, required=False)


class ReviewForm(FlaskForm):
    """After a reporter's 不满意: staff send the task back or keep it closed."""

    decision = RadioField(
        _l("Decision"),
        choices=[("return", _l("Return to the unit for rework")), ("confirm", _l("Keep it closed"))],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    note = _text(_l("Reasons"), 2000)


class ActionForm(FlaskForm):
    """A button with nothing but the CSRF token (release an attachment)."""


class LedgerFilterForm(FlaskForm):
    class Meta:
        csrf = False  # GET filters change nothing

    unit = SelectField(_l("Unit"), coerce=optional_id, validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    date_from = DateField(_l("Dispatched from"), validators=[Optional()])
    date_to = DateField(_l("Dispatched until"), validators=[Optional()])

    def fill_choices(self, units) -> None:
        self.unit.choices = units
        self.status.choices = [("", _l("All")), ("open", _l("Open")), ("overdue", _l("Overdue"))] + [
            (s.value, s.label) for s in TaskStatus
        ]


class RatingForm(FlaskForm):
    grade = RadioField(
        _l("Are you satisfied with the outcome?"),
        choices=[(g.value, SATISFACTION_LABELS[g]) for g in Satisfaction],
        validators=[InputRequired(message=_l("Choose one."))],
    )
    comment = _text(_l("Comment (optional)"), 2000, required=False)


class HolidayScheduleForm(FlaskForm):
    """An admin enters one year's State Council notice: the days off and the weekend days
    worked (调休), pasted as the notice writes them or as dates."""

    year = IntegerField(_l("Year"), validators=[InputRequired(message=REQUIRED), NumberRange(min=2000, max=2100)])
    holidays = TextAreaField(_l("Days off"), validators=[InputRequired(message=REQUIRED), Length(max=5000)])
    workdays = TextAreaField(
        _l("Weekend days worked (swapped working days)"), validators=[Optional(), Length(max=5000)]
    )
    notice = TextAreaField(_l("Notice (title or text, for the record)"), validators=[Optional(), Length(max=20000)])
