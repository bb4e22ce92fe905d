"""What the ledger's views share: uploads from a form, stored files and the Excel export as
downloads, the ledger filter from the query string."""

from flask import current_app, request
from flask_babel import gettext as _

from intake.core.params import arg_date, arg_id
from intake.feedback.services import UploadInput
from intake.rectification import services
from intake.rectification.models.tasks import TaskStatus
from intake.rectification.services import ledger_query
from intake.uploads import ALLOWED_TYPES, extension_of, safe_display_name

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _uploads(field) -> list[UploadInput]:
    return [
        UploadInput(
            filename=safe_display_name(f.filename),
            content_type=ALLOWED_TYPES[extension_of(f.filename)],
            stream=f.stream,
        )
        for f in (field.data or [])
        if f and getattr(f, "filename", None)
    ]


def _ledger_filter(unit_id: int | None = None) -> ledger_query.LedgerFilter:
    """The ledger's filter from the query string; a value no filter can take is a 400."""
    status = request.args.get("status") or None
    if status not in (None, "open", "overdue") and status not in {s.value for s in TaskStatus}:
        status = None
    return ledger_query.LedgerFilter(
        unit_id=unit_id or arg_id("unit"),
        status=status,
        date_from=arg_date("date_from"),
        date_to=arg_date("date_to"),
    )


def _xlsx_response(data: bytes, name: str):
    response = current_app.response_class(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename=ledger.xlsx; filename*=UTF-8''{name}"
    response.headers["Cache-Control"] = "no-store"
    return response


def _export_name() -> str:
    from urllib.parse import quote

    return quote(_("Rectification ledger") + "-" + services.local_today().isoformat() + ".xlsx")
