"""A questionnaire's definition as an XLSForm-style workbook, so an office can draft one in
Excel or WPS: a `survey` sheet (type, name, label, hint, required, relevant, parameters), a
`choices` sheet (list_name, name, label) and a `settings` sheet (form_title, description).

Types: `select_one LIST`, `select_multiple LIST`, `range` (a rating, parameters
`start=1 end=5 step=1`), `integer`, `text`. A skip rule is `${a} = 'x'` or
`selected(${a}, 'x')`. Export then import gives back every question, choice and rule."""

import io
import re

from flask_babel import lazy_gettext as _l

from intake.surveys.models import RATING_MAX, RATING_MIN, QuestionKind, Questionnaire
from intake.surveys.services import QuestionInput

SURVEY_COLUMNS = ["type", "name", "label", "hint", "required", "relevant", "parameters"]
CHOICE_COLUMNS = ["list_name", "name", "label"]
RATING_PARAMETERS = f"start={RATING_MIN} end={RATING_MAX} step=1"
SIMPLE_TYPES = {"integer": QuestionKind.number, "text": QuestionKind.text, "range": QuestionKind.rating}
LIST_TYPES = {"select_one": QuestionKind.single, "select_multiple": QuestionKind.multiple}
RULE_EQUALS = re.compile(r"""^\$\{(\w+)\}\s*=\s*(?:'([^']*)'|"([^"]*)"|(\d+))$""")
RULE_SELECTED = re.compile(r"""^selected\(\s*\$\{(\w+)\}\s*,\s*(?:'([^']*)'|"([^"]*)")\s*\)$""")
YES = {"yes", "true", "true()", "1", "y", "是"}
NO = {"", "no", "false", "false()", "0", "n", "否"}
MAX_ROWS = 500


class XLSFormError(ValueError):
    """The workbook cannot be read as a questionnaire; str() says why, in the user's language."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --- export ------------------------------------------------------------------------------------


def _type_of(question) -> str:
    if question.kind.has_choices:
        prefix = "select_one" if question.kind is QuestionKind.single else "select_multiple"
        return f"{prefix} {question.name}"
    return {QuestionKind.number: "integer", QuestionKind.text: "text", QuestionKind.rating: "range"}[question.kind]


def _relevant_of(question) -> str:
    source = question.show_if_question
    if source is None:
        return ""
    if source.kind is QuestionKind.multiple:
        return f"selected(${{{source.name}}}, '{question.show_if_value}')"
    return f"${{{source.name}}} = '{question.show_if_value}'"


def export_xlsx(q: Questionnaire) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    choices = book.create_sheet("choices")
    choices.append(CHOICE_COLUMNS)
    for question in q.questions:
        survey.append(
            [
                _type_of(question),
                question.name,
                question.label,
                question.hint,
                "yes" if question.required else "",
                _relevant_of(question),
                RATING_PARAMETERS if question.kind is QuestionKind.rating else "",
            ]
        )
        for choice in question.choices:
            choices.append([question.name, choice.name, choice.label])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "description"])
    settings.append([q.title, q.intro])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- import ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header(values) -> list[str]:
    """Column names in lower case; `label::Chinese (zh)` (a sheet with languages) stands for
    `label` when the sheet has no plain one, the first language it names."""
    header = [_text(h).lower() for h in values]
    for base in ("label", "hint"):
        if base not in header:
            for i, name in enumerate(header):
                if name.startswith(base + "::"):
                    header[i] = base
                    break
    return header


def _rows(title: str, values: list[tuple], required: list[str]) -> list[tuple[int, dict]]:
    """(row number, {column: text}) of the non-empty rows under the header."""
    header = _header(values[0] if values else ())
    missing = [c for c in required if c not in header]
    if missing:
        raise XLSFormError(
            _l("The sheet “%(sheet)s” lacks the columns: %(columns)s.", sheet=title, columns=", ".join(missing))
        )
    found = []
    for number, row_values in enumerate(values[1:], start=2):
        row = {h: _text(v) for h, v in zip(header, row_values) if h}
        if any(row.values()):
            found.append((number, row))
    return found


NOT_A_WORKBOOK = _l("This is not an Excel workbook (.xlsx). Save it as .xlsx in Excel or WPS and try again.")


def _read(data: bytes) -> dict[str, list[tuple]]:
    """The rows of the sheets we read, as plain values. Whatever fails while reading an uploaded
    file (not a zip, a zip that is no workbook, broken XML inside) is the file's fault: a
    message for the user, never a server error."""
    from openpyxl import load_workbook

    sheets = {}
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for title in ("survey", "choices", "settings"):
            if title in book.sheetnames:
                sheets[title] = []
                for values in book[title].iter_rows(values_only=True):
                    sheets[title].append(values)
                    if len(sheets[title]) > MAX_ROWS:
                        raise XLSFormError(_l("The sheet “%(sheet)s” has too many rows.", sheet=title))
        book.close()
    except XLSFormError:
        raise
    except Exception:  # noqa: BLE001 - see the docstring
        raise XLSFormError(NOT_A_WORKBOOK)
    return sheets


def _required(text: str, number: int) -> bool:
    value = text.lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise XLSFormError(_l("Row %(row)d of “survey”: required is “yes” or empty.", row=number))


def _rule(text: str, number: int) -> tuple[str, str] | None:
    if not text:
        return None
    match = RULE_EQUALS.match(text) or RULE_SELECTED.match(text)
    if match is None:
        raise XLSFormError(
            _l(
                "Row %(row)d of “survey”: relevant can only be ${question} = 'answer' or selected(${question}, 'answer').",
                row=number,
            )
        )
    name, *values = match.groups()
    return name, next(v for v in values if v is not None)


def _kind_and_list(type_text: str, number: int) -> tuple[QuestionKind, str | None]:
    parts = type_text.split()
    if len(parts) == 2 and parts[0] in LIST_TYPES:
        return LIST_TYPES[parts[0]], parts[1]
    if len(parts) == 1 and parts[0] in SIMPLE_TYPES:
        return SIMPLE_TYPES[parts[0]], None
    raise XLSFormError(
        _l(
            "Row %(row)d of “survey”: the type “%(type)s” is not one of select_one, select_multiple, range, integer, text.",
            row=number,
            type=type_text,
        )
    )


def parse_xlsx(data: bytes) -> tuple[dict, list[QuestionInput]]:
    """The settings ({"title", "intro"}, what the sheet gives) and the questions of a workbook.
    The questions' own rules (names, rules on earlier questions) are checked when they are
    written (services.replace_questions)."""
    sheets = _read(data)
    if "survey" not in sheets:
        raise XLSFormError(_l("The workbook has no sheet named “survey”."))
    lists: dict[str, list[tuple[str, str]]] = {}
    if "choices" in sheets:
        for _number, row in _rows("choices", sheets["choices"], CHOICE_COLUMNS):
            lists.setdefault(row["list_name"], []).append((row["name"], row.get("label", "")))
    questions = []
    for number, row in _rows("survey", sheets["survey"], ["type", "name", "label"]):
        kind, list_name = _kind_and_list(row["type"], number)
        if kind is QuestionKind.rating and row.get("parameters", "") not in ("", RATING_PARAMETERS):
            raise XLSFormError(
                _l(
                    "Row %(row)d of “survey”: a range is a rating with parameters “%(p)s”.",
                    row=number,
                    p=RATING_PARAMETERS,
                )
            )
        if list_name is not None and list_name not in lists:
            raise XLSFormError(
                _l(
                    "Row %(row)d of “survey”: the list “%(list)s” is not in the “choices” sheet.",
                    row=number,
                    list=list_name,
                )
            )
        questions.append(
            QuestionInput(
                name=row["name"],
                kind=kind,
                label=row["label"],
                hint=row.get("hint", ""),
                required=_required(row.get("required", ""), number),
                choices=list(lists[list_name]) if list_name else [],
                show_if=_rule(row.get("relevant", ""), number),
            )
        )
    if not questions:
        raise XLSFormError(_l("The sheet “survey” has no questions."))
    settings = {}
    if "settings" in sheets:
        rows = _rows("settings", sheets["settings"], [])
        if rows:
            first = rows[0][1]
            settings = {"title": first.get("form_title", ""), "intro": first.get("description", "")}
    return settings, questions
