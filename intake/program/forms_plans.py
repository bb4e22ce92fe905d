"""Forms of the plans, reports, groups and meetings. Each keeps what the user typed on error."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from intake.core.forms import DateField, IntegerField, validate_uploads
from intake.program.plan_models import MEETING_KIND_LABELS, MeetingKind
from intake.uploads import extension_of

REQUIRED = _l("This field is required.")
IMAGES = {"jpg", "jpeg", "png", "gif", "webp", "heic", "heif"}
REPORT_TYPES = {"pdf", "doc", "docx", "wps", "txt"}


def strip(value):
    """White space around a typed value is no value: "   " is empty, and says so."""
    return value.strip() if isinstance(value, str) else value


def _text(label, max_chars=8000, required=True):
    validators = [DataRequired(message=REQUIRED)] if required else [Optional()]
    validators.append(Length(max=max_chars, message=_l("At most %(n)d characters.", n=max_chars)))
    return TextAreaField(label, validators=validators, filters=[strip])


def _as_list(field) -> list:
    data = field.data
    if data is None:
        return []
    return data if isinstance(data, list) else [data]


def _checked_uploads(form, field) -> None:
    """The allow-list, size and content checks of every upload, for one file or many."""

    class Files:
        data = _as_list(field)

    validate_uploads(form, Files)


def _only(types: set[str], message):
    def check(form, field) -> None:
        for storage in _as_list(field):
            if storage and getattr(storage, "filename", None) and extension_of(storage.filename) not in types:
                raise ValidationError(message)

    return check


class PlanForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(message=REQUIRED), Length(max=200)], filters=[strip])
    guiding_idea = _text(_l("Guiding idea (指导思想)"))
    principles = _text(_l("Principles (监督原则)"))
    leading_group = _text(_l("Leading group (领导机构): one person a line, role｜name｜post"), 4000)
    leading_office = _text(_l("Office of the leading group"), 2000, required=False)
    main_content = _text(_l("Main content (主要内容)"))
    methods = _text(_l("Methods (监督方式)"))
    steps = _text(_l("Steps (实施步骤); the timetable is taken from the year's stages"))
    requirements = _text(_l("Requirements (工作要求)"))
    change_note = StringField(_l("What changed (optional)"), validators=[Optional(), Length(max=300)])

    def validate_leading_group(self, field) -> None:
        from intake.program.plans import parse_leading_group

        rows = parse_leading_group(field.data)
        if not rows or any(not row["role"] for row in rows):
            raise ValidationError(_l("Write one person a line: role｜name｜post."))


class ApproveForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])


class ReportForm(FlaskForm):
    report = FileField(
        _l("Self-inspection report (PDF, Word or text)"),
        validators=[
            FileRequired(message=_l("Choose the report file.")),
            _only(REPORT_TYPES, _l("The report must be a PDF, Word, WPS or text file.")),
            _checked_uploads,
        ],
    )
    note = _text(_l("Note (optional)"), 2000, required=False)


class GroupForm(FlaskForm):
    name = StringField(_l("Group name"), validators=[DataRequired(message=REQUIRED), Length(max=100)], filters=[strip])
    leader_id = SelectField(
        _l("Group leader (组长)"), coerce=int, validators=[InputRequired(message=_l("Choose the group leader."))]
    )
    member_ids = SelectMultipleField(_l("Members"), coerce=int)


class MeetingForm(FlaskForm):
    kind = RadioField(
        _l("Kind"),
        choices=[(k.value, MEETING_KIND_LABELS[k]) for k in MeetingKind],
        validators=[InputRequired(message=_l("Choose the kind of meeting."))],
    )
    held_on = DateField(_l("Date"), validators=[InputRequired(message=REQUIRED)])
    place = StringField(_l("Place"), validators=[DataRequired(message=REQUIRED), Length(max=200)], filters=[strip])
    participants = _text(_l("Participants"), 2000)
    minutes = _text(_l("Minutes"), 20000)
    findings = _text(_l("Findings: one problem a paragraph (optional)"), 20000, required=False)
    photos = MultipleFileField(
        _l("Photos"), validators=[_only(IMAGES, _l("Only photos can be attached to a meeting.")), _checked_uploads]
    )


class FindingTaskForm(FlaskForm):
    requirement = _text(_l("Requirement"), 2000)
