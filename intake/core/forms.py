"""Form pieces every domain's forms share."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import ValidationError

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
