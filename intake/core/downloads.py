"""Stored files served back: always as a download and never sniffed, so an uploaded HTML or SVG
can never run in our origin. The one exception, a mail's inline raster picture shown to staff,
is checked by its caller and still sandboxed."""

import io

from flask import abort, send_file

from intake.storage import path_for

SANDBOX = "default-src 'none'; sandbox"


def send_stored(stored_name: str, content_type: str, download_name: str, *, inline: bool = False):
    """The stored file as a response (410 when the file is gone from storage)."""
    path = path_for(stored_name)
    if not path.exists():
        abort(410)
    response = send_file(path, mimetype=content_type, as_attachment=not inline, download_name=download_name, max_age=0)
    if inline:
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX
    response.headers["Cache-Control"] = "private, no-store"
    return response


def send_generated(data: bytes, content_type: str, download_name: str):
    """A document made for this request (a plan's PDF or Word file), as a download."""
    response = send_file(
        io.BytesIO(data), mimetype=content_type, as_attachment=True, download_name=download_name, max_age=0
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
