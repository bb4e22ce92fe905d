"""The whole unit list as an xlsx workbook and back: names, aliases, responsibilities (职能)
and lottery eligibility, so a county can adjust the list in a spreadsheet (城市管理局 or
综合行政执法局, the county tax bureau) and load it in one go.

Import is all or nothing: any bad row and nothing changes; units are matched by code, a new
code adds a unit. openpyxl is imported here only (the admin page that uses it)."""

from dataclasses import dataclass
from io import BytesIO

from sqlalchemy import select

from intake.extensions import db
from intake.reference.models import Unit
from intake.reference.services import forget_cached_choices, unit_order

COLUMNS = (
    "code",
    "name",
    "name_zh_hant",
    "name_en",
    "short_name",
    "aliases",
    "duties",
    "lottery_eligible",
    "is_active",
)
REQUIRED = ("code", "name")
MAX_ROWS = 2000
_TRUE = {"1", "true", "yes", "y", "是", "x", "✓"}
_FALSE = {"0", "false", "no", "n", "否", ""}


class UnitSheetError(ValueError):
    """The workbook cannot be read as a unit list: `kind` says why (not-xlsx, missing-columns,
    empty, too-long, twice, flag, too-many, name-taken), `row` is the sheet row at fault and
    `detail` the column(s) concerned."""

    def __init__(self, kind: str, row: int | None = None, detail: str = ""):
        super().__init__("%s (row %s: %s)" % (kind, row, detail))
        self.kind, self.row, self.detail = kind, row, detail


@dataclass
class ImportResult:
    updated: int
    added: int


def export_units() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "units"
    sheet.append(COLUMNS)
    for unit in db.session.scalars(select(Unit).order_by(*unit_order())):
        sheet.append(
            [
                unit.code,
                unit.name,
                unit.name_zh_hant or "",
                unit.name_en or "",
                unit.short_name or "",
                unit.aliases,
                unit.duties,
                "yes" if unit.lottery_eligible else "no",
                "yes" if unit.is_active else "no",
            ]
        )
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFGHI", (8, 30, 30, 40, 16, 50, 80, 10, 8)):
        sheet.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value) -> str:
    return "" if value is None else " ".join(str(value).split())


def _flag(value, row: int, column: str) -> bool:
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UnitSheetError("flag", row, column)


def read_units(data: bytes) -> list[dict]:
    """The rows of an uploaded workbook, checked; raises UnitSheetError."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnitSheetError("not-xlsx") from e
    rows = book.worksheets[0].iter_rows(values_only=True) if book.worksheets else iter(())
    header = [_text(c).lower() for c in next(rows, ())]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UnitSheetError("missing-columns", 1, ", ".join(missing))
    out, codes, names = [], set(), set()
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS:
            raise UnitSheetError("too-many", number)
        cells = dict(zip(header, values))
        if not any(_text(v) for v in values):
            continue
        row = {c: _text(cells.get(c)) for c in COLUMNS if c in header}
        for column in REQUIRED:
            if not row[column]:
                raise UnitSheetError("empty", number, column)
        if len(row["code"]) > 32 or len(row["name"]) > 100:
            raise UnitSheetError("too-long", number, "code, name")
        if row["code"] in codes or row["name"] in names:
            raise UnitSheetError("twice", number, "code, name")
        codes.add(row["code"])
        names.add(row["name"])
        for column in ("lottery_eligible", "is_active"):
            if column in row:
                row[column] = _flag(cells.get(column), number, column)
        row["number"] = number
        out.append(row)
    return out


def import_units(data: bytes) -> ImportResult:
    """Update units by code and add new ones from an uploaded workbook; flushes."""
    rows = read_units(data)
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    taken = {u.name: u.code for u in existing.values()}
    result = ImportResult(0, 0)
    for row in rows:
        unit = existing.get(row["code"])
        if taken.get(row["name"], row["code"]) != row["code"]:
            raise UnitSheetError("name-taken", row["number"], "name")
        if unit is None:
            unit = Unit(code=row["code"], name=row["name"], sort_order=len(existing) + result.added)
            db.session.add(unit)
            result.added += 1
        else:
            result.updated += 1
        for column in COLUMNS[1:]:
            if column in row:
                value = row[column]
                setattr(unit, column, value if value != "" or column in ("aliases", "duties") else None)
    db.session.flush()
    forget_cached_choices()
    return result
