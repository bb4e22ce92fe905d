"""Form pieces every domain's forms share."""

from datetime import datetime

import wtforms
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

from intake.core.params import FIRST_DATE, LAST_DATE, MAX_ID
from intake.uploads import ALLOWED_TYPES, content_matches, extension_of, stream_size


def validate_uploads(form, field) -> None:
    """The files of a multiple-file field against the allow-list, the size limit and their
    content (a renamed executable is not a photo). Raises with the first file that fails."""
    files = [f for f in (field.data or []) if f and getattr(f, "filename", None)]
    limit = current_app.config["MAX_UPLOAD_FILES"]
    max_mb = current_app.config["MAX_UPLOAD_MB"]
    if len(files) > limit:
        raise ValidationError(_l("You can attach at most %(n)d files.", n=limit))
    for storage in files:
        ext = extension_of(storage.filename)
        if ext not in ALLOWED_TYPES:
            raise ValidationError(
                _l(
                    "“%(name)s” is not an accepted file type. Accepted: photos, PDF, Word, Excel, text.",
                    name=storage.filename,
                )
            )
        if stream_size(storage) > max_mb * 1024 * 1024:
            raise ValidationError(_l("“%(name)s” is larger than %(mb)d MB.", name=storage.filename, mb=max_mb))
        if not content_matches(storage, ext):
            raise ValidationError(
                _l("“%(name)s” does not look like a real %(ext)s file.", name=storage.filename, ext=ext.upper())
            )


class _WithinCalendar:
    """A date (or a date and time) between FIRST_DATE and LAST_DATE: 9999-12-31 is a date, but no
    deadline, and a day added to it overflows; the workday calendar ends at 2100; 0001-01-01 in
    the county's time zone is before the first UTC instant Python has."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        day = self.data.date() if isinstance(self.data, datetime) else self.data
        if day is not None and not FIRST_DATE <= day <= LAST_DATE:
            self.data = None
            raise ValueError(
                _l(
                    "Enter a date between %(first)s and %(last)s.",
                    first=FIRST_DATE.isoformat(),
                    last=LAST_DATE.isoformat(),
                )
            )


class DateField(_WithinCalendar, wtforms.DateField):
    pass


class DateTimeLocalField(_WithinCalendar, wtforms.DateTimeLocalField):
    pass


class IntegerField(wtforms.IntegerField):
    """An integer a database column holds (and no thousand-digit number parsed on the way)."""

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0]) > 20:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
        if self.data is not None and not -MAX_ID - 1 <= self.data <= MAX_ID:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))


def id_choice(value) -> int:
    """SelectField coercion of an id choice: what is not an id a column holds is refused
    (ValueError, which the field turns into its error) before it reaches a query."""
    if isinstance(value, int):
        return value
    if not (
        isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID
    ):
        raise ValueError(value)
    return int(value)


def optional_id(value) -> int | None:
    """id_choice where "" or "0" means none (a filter's "All units")."""
    return None if value in (None, "", "0", 0) else id_choice(value)
