"""The pieces of the hostile-input walk (tests/test_hostile_input.py): the values, how they are
put on the wire, the forms a page offers, and which query parameters a view reads."""

import functools
import inspect
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import wtforms
from werkzeug.datastructures import ImmutableMultiDict
from wtforms.fields.core import UnboundField

MEGABYTE = "9" * 1_000_000  # a 1 MB string, and a number with a million digits
# Longer than any column and than the 4300 digits int() takes. In an address a megabyte never
# reaches the app (gunicorn refuses a request line over 4094 bytes), so it is not sent there.
LONG = "9" * 5000
NUL = "a\x00b"
SURROGATE = "\ud800"  # on the wire as the three bytes a careless encoder writes
HUGE = [str(2**31), str(2**63), "-1", "1e999999", "NaN"]
BAD_DATES = ["9999-12-31", "0001-01-01", "2026-02-30", str(2**63)]
# A query parameter's type is not known from outside: each one gets text, numbers and dates.
HOSTILE_ARGS = [NUL, LONG, str(2**31), str(2**63), "-1", "9999-12-31", "0001-01-01", "2026-02-30"]
# What a URL converter gets: ids past a 32-bit and a 64-bit column (and the largest that fits).
HOSTILE_IDS = [str(2**31 - 1), str(2**31), str(2**63)]
HOSTILE_STRINGS = [NUL, SURROGATE, LONG, "../../etc/passwd"]
HOSTILE_FILENAMES = [NUL + ".png", "9" * 100_000 + ".png", "../../etc/passwd.png"]


def hostile_values(kind: str) -> list[str]:
    """What a form field gets alone, by the input type the page gives it: every field text that a
    database or a parser may choke on, numbers to what holds a number or a choice, dates to dates.
    (The megabyte goes to every field of a form at once, see the walk: one request, not one a field.)"""
    if kind == "date":
        return [NUL, LONG, *BAD_DATES]
    if kind == "datetime-local":
        return [NUL, LONG, "9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30T08:00"]
    if kind in ("number", "select", "hidden", "radio", "checkbox"):
        return [NUL, LONG, *HUGE]
    return [NUL, LONG]


@functools.lru_cache(maxsize=512)  # the megabyte is encoded once, not once per field and form
def wire(value: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate goes out as the three bytes CESU would send."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def body(fields: dict[str, str]) -> bytes:
    return "&".join(f"{wire(k)}={wire(v)}" for k, v in fields.items()).encode("ascii")


CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def converters(rule: str) -> list[tuple[str, str, str]]:
    """(converter, its arguments, variable name) of each placeholder of a rule."""
    return [(kind or "default", args or "", name) for kind, args, name in CONVERTER.findall(rule)]


def build_path(rule: str, values: dict[str, str]) -> str:
    def one(match):
        kind, args, name = match.group(1) or "default", match.group(2) or "", match.group(3)
        if name in values:
            return quote(values[name].encode("utf-8", "surrogatepass"), safe="/" if kind == "path" else "")
        if kind == "any":
            return args.split(",")[0].strip()
        raise KeyError(name)

    return CONVERTER.sub(one, rule)


# --- which query parameters the app reads ------------------------------------------------

_ARG_NAME = re.compile(r"""(?:args\.get(?:list)?|_int_arg|arg_\w+)\(\s*["'](\w+)["']""")


def query_parameter_names(package: Path) -> set[str]:
    """Every name the code reads from the query string, found by reading the code, so a
    parameter added tomorrow is walked tomorrow (filter forms' fields come from the pages)."""
    names = set()
    for path in package.rglob("*.py"):
        names.update(_ARG_NAME.findall(path.read_text(encoding="utf-8")))
    return names


class RecordingArgs(ImmutableMultiDict):
    """request.args that notes each name a view asks for, whether or not it was sent."""

    read: set[str] = set()

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        RecordingArgs.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        RecordingArgs.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        RecordingArgs.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.read.add(key)
        return super().__contains__(key)


# --- the forms a page offers -------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)  # name -> a plausible value
    files: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)


PLAUSIBLE = {
    "date": "2027-04-08",
    "datetime-local": "2027-04-08T09:30",
    "number": "1",
    "email": "someone@example.cn",
    "tel": "13800000000",
}


class FormParser(HTMLParser):
    """Every <form> of a page with a plausible value in each field: what is shown, else the
    first choice, else a value of the input's type, so a single hostile field is what differs."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                action=a.get("action") or self.page_url,
                method=(a.get("method") or "get").upper(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is None:
            return
        if tag == "input" and name:
            kind = a.get("type", "text")
            form.kinds[name] = kind
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if name not in form.fields or "checked" in a:
                    form.fields[name] = a.get("value", "y")
            elif kind not in ("submit", "button", "reset"):
                form.fields[name] = a.get("value") or PLAUSIBLE.get(kind, "测试")
        elif tag == "textarea" and name:
            self._textarea = name
            form.kinds[name] = "textarea"
            form.fields[name] = ""
        elif tag == "select" and name:
            self._select = name
            form.kinds[name] = "select"
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if value and (self._select not in form.fields or "selected" in a):
                form.fields[self._select] = value

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            if self._form is not None and not self._form.fields[self._textarea].strip():
                self._form.fields[self._textarea] = "测试文字"
            self._textarea = None


def forms_of(html: str, page_url: str) -> list[Form]:
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms


# --- the fields a view reads, for a form the walk's pages do not show --------------------

_FORM_CLASS = re.compile(r"\b([A-Z]\w*Form)\(")
_FORM_NAME = re.compile(r"""request\.form\.get(?:list)?\(\s*["'](\w+)["']""")
_KIND = {
    wtforms.DateField: "date",
    wtforms.DateTimeLocalField: "datetime-local",
    wtforms.IntegerField: "number",
    wtforms.DecimalField: "number",
    wtforms.SelectFieldBase: "select",
    wtforms.RadioField: "radio",
    wtforms.BooleanField: "checkbox",
    wtforms.FileField: "file",
}


def _kind(field_class) -> str:
    return next((kind for cls, kind in _KIND.items() if issubclass(field_class, cls)), "text")


def fields_of_view(view) -> dict[str, str]:
    """name -> input type of the fields a view takes, read from its source: the WTForms classes
    it builds and the names it reads from request.form. A form only shown in some states of an
    object (a review form once a task is reported done) is walked even when the page is not."""
    view = inspect.unwrap(view)
    try:
        source = inspect.getsource(view)
    except (OSError, TypeError):
        return {}
    found = dict.fromkeys(_FORM_NAME.findall(source), "text")
    for name in _FORM_CLASS.findall(source):
        cls = view.__globals__.get(name)
        if isinstance(cls, type) and issubclass(cls, wtforms.Form):
            for attr in dir(cls):
                unbound = getattr(cls, attr, None)
                if isinstance(unbound, UnboundField):
                    found[attr] = _kind(unbound.field_class)
    return found


def plausible(kind: str) -> str:
    return {
        "date": "2027-04-08",
        "datetime-local": "2027-04-08T09:30",
        "number": "1",
        "select": "1",
        "radio": "1",
        "checkbox": "y",
    }.get(kind, "测试文字")
