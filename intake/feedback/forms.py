"""Forms of the public 民主监督 pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError

from intake.core.forms import optional_id, validate_uploads
from intake.feedback.models import KIND_LABELS, Kind

BODY_MIN = 10
BODY_MAX = 5000
PHONE_PATTERN = r"^\+?[0-9][0-9\- ]{5,19}$"


class SubmissionForm(FlaskForm):
    # Only for signed-in members and staff recording what they found (暗访, 座谈会, ...);
    # removed from the form for the public.
    source = SelectField(_l("How was this found?"), validate_choice=True)
    kind = RadioField(
        _l("Type"),
        choices=[(k.value, KIND_LABELS[k]) for k in Kind],  # lazy: translated per request
        default=Kind.complaint.value,
        validators=[InputRequired(message=_l("Please choose what kind of feedback this is."))],
    )
    unit_id = SelectField(
        _l("Which unit is it about?"),
        coerce=optional_id,
        validate_choice=True,
    )
    category_id = SelectField(_l("Category"), coerce=optional_id, validate_choice=True)
    subject = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=100, message=_l("The title can be at most 100 characters."))],
    )
    body = TextAreaField(
        _l("What happened?"),
        validators=[
            InputRequired(message=_l("Please describe the matter.")),
            Length(
                min=BODY_MIN,
                max=BODY_MAX,
                message=_l("Please write between %(min)d and %(max)d characters.", min=BODY_MIN, max=BODY_MAX),
            ),
        ],
    )
    location = StringField(
        _l("Where and when (optional)"),
        validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))],
    )
    attachments = MultipleFileField(_l("Photos or documents (optional)"))
    anonymous = BooleanField(_l("Submit anonymously (no contact details kept)"))
    name = StringField(_l("Name"), validators=[Optional(), Length(max=50, message=_l("At most 50 characters."))])
    phone = StringField(
        _l("Mobile phone"),
        validators=[Optional(), Regexp(PHONE_PATTERN, message=_l("Please enter a valid phone number."))],
    )
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Email(message=_l("Please enter a valid email address."), check_deliverability=False),
            Length(max=254, message=_l("At most 254 characters.")),
        ],
    )
    # 个人信息保护法: contact details are kept only with the reporter's consent to the notice.
    consent = BooleanField(_l("I have read how my contact details are used and agree"))
    # Honeypot: hidden from people, filled in by bots.
    website = StringField("Website")

    validate_attachments = validate_uploads

    def validate_consent(self, field):
        gives_contact = not self.anonymous.data and any(
            (f.data or "").strip() for f in (self.name, self.phone, self.email)
        )
        if gives_contact and not field.data:
            raise ValidationError(_l("Please agree to how your contact details are used, or submit anonymously."))

    def validate_website(self, field):
        if field.data:
            raise ValidationError(_l("Your submission could not be accepted."))


class LookupForm(FlaskForm):
    """Code and secret, posted (never in a URL)."""

    code = StringField(
        _l("Tracking code"),
        validators=[InputRequired(message=_l("Please enter the tracking code.")), Length(max=32)],
    )
    secret = StringField(
        _l("Lookup secret"),
        validators=[InputRequired(message=_l("Please enter the lookup secret.")), Length(max=32)],
    )


class EraseContactForm(FlaskForm):
    confirm = BooleanField(
        _l("Yes, erase my name, phone and email. I will get no more mail about this report."),
        validators=[InputRequired()],
    )
