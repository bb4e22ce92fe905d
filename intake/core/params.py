"""The edge where bad input stops: characters no database stores, ids and numbers past what a
column holds, dates past what the calendar and date arithmetic take. Each is refused here, once,
with a 400 or 404 in the user's language, instead of a 500 somewhere inside a view.

- URL ids: the `int` converter is bounded to what an id column holds (INTEGER on PostgreSQL,
  2^31 - 1); a larger id matches no route, so the answer is the ordinary 404.
- Query parameters: views read numbers and dates through `arg_id`, `arg_year`, `arg_date`
  (posted ids outside a WTForms form through `form_id`, `form_ids`), which answer a value they
  cannot use with a 400 naming the parameter (`Refused`; intake.errors shows its message). A
  missing or empty parameter is None, as before. Forms use the bounded `DateField`,
  `DateTimeLocalField`, `IntegerField` and the `id_choice`/`optional_id` coercions of
  intake.core.forms, so a bad value is a field error and the form is shown again as typed.
- NUL and lone surrogates (PostgreSQL refuses the first in text, no encoder writes the second):
  in the path or the query string the request is refused with a 400, since only a crafted link
  carries them. In a submitted form they are removed (NUL) or replaced (surrogate → U+FFFD,
  what Werkzeug itself does with undecodable bytes) before any view sees the form: nobody types
  them, they come in with text pasted from a PDF or a Word file, and refusing the whole form
  would cost the person what they wrote. The form's own validation then runs as usual.
"""

import re
from datetime import date

import flask
from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: every id column, every whole number the forms store
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years the service deals with (监督年度, the calendar)
# Dates people may enter: the workday calendar stops at 2100, and date arithmetic at 9999.
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2099, 12, 31)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Refused(BadRequest):
    """A 400 whose description is a message in the user's language (see intake.errors)."""


class IdConverter(IntegerConverter):
    """`<int:…>` as Werkzeug has it, but no larger than a database id can be."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def storable_text(text: str) -> str:
    """The text without NUL, a lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


class Request(flask.Request):
    """Form fields and uploaded files' names without NUL or lone surrogates (see the module)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form and any(_UNSTORABLE.search(k) or _UNSTORABLE.search(v) for k, v in form.items(multi=True)):
            self.__dict__["form"] = self.parameter_storage_class(
                [(storable_text(k), storable_text(v)) for k, v in form.items(multi=True)]
            )
        for storage in self.__dict__.get("files", {}).values():
            if storage.filename:
                storage.filename = storable_text(storage.filename)


def _refuse_unstorable_address() -> None:
    if _UNSTORABLE.search(request.path) or any(
        _UNSTORABLE.search(k) or _UNSTORABLE.search(v) for k, v in request.args.items(multi=True)
    ):
        raise Refused(_("The address contains characters that cannot be used. Please check the link."))


def _refuse(name: str):
    raise Refused(_("The value of “%(name)s” cannot be used.", name=name))


def arg_int(name: str, minimum: int = -MAX_ID - 1, maximum: int = MAX_ID) -> int | None:
    """An integer query parameter within [minimum, maximum]; None when missing or empty."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    # int() would also take "1_000", " 7" and a thousand-digit number (and then refuse it slowly).
    if not re.fullmatch(r"-?\d{1,12}", value) or not minimum <= int(value) <= maximum:
        _refuse(name)
    return int(value)


def arg_id(name: str) -> int | None:
    """An id; "0" means none, as the filter forms send it."""
    return _id(request.args.get(name, ""), name)


def arg_year(name: str) -> int | None:
    return arg_int(name, FIRST_YEAR, LAST_YEAR)


def arg_date(name: str) -> date | None:
    """A date as YYYY-MM-DD between FIRST_DATE and LAST_DATE; None when missing or empty."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        parsed = None
    if parsed is None or not FIRST_DATE <= parsed <= LAST_DATE:
        _refuse(name)
    return parsed


def _id(text: str, name: str) -> int | None:
    """An id, or None for "" and "0" (what an unchosen select sends); anything else is a 400."""
    text = text.strip()
    if text in ("", "0"):
        return None
    if not re.fullmatch(r"\d{1,12}", text) or int(text) > MAX_ID:
        _refuse(name)
    return int(text)


def form_id(name: str) -> int | None:
    """An id from a posted field that is not a WTForms field (a bulk action's choices)."""
    return _id(request.form.get(name, ""), name)


def form_ids(name: str) -> list[int]:
    return [i for i in (_id(v, name) for v in request.form.getlist(name)) if i is not None]


def init_app(app: Flask) -> None:
    """Called first in create_app: the converter must be in place before any rule is added."""
    app.request_class = Request
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_unstorable_address)
