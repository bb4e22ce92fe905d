"""The 整改台账 export: read back with openpyxl, the county's columns, Chinese intact, real
dates, filters applied, the unit's copy masked."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from intake.feedback.services import ReporterInput
from intake.rectification.ledger import COLUMNS
from tests.conftest import AuthActions

HEADERS = [
    "序号",
    "问题描述",
    "来源",
    "责任单位",
    "整改措施",
    "责任人",
    "整改时限",
    "整改进展",
    "完成情况",
    "核实情况",
    "群众满意度",
]


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.get_data()))
    ws = wb["整改台账"]
    return [list(row) for row in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_export_columns_dates_filters_and_masking(app, users, ref, ledger):
    assert [c for c, _w in COLUMNS] == HEADERS
    reporter = ReporterInput(name="钱七", phone="13700001111", email="qian7@example.cn")
    closed = ledger.route(
        [ledger.item(reporter=reporter)], problem='钱七反映：=HYPERLINK("x") 窗口推诿', today=date(2026, 9, 28)
    )
    ledger.advance(closed, "closed")
    ledger.route([ledger.item()], unit="gk", problem="工科局审批拖延", today=date(2026, 11, 2))

    staff = app.test_client()
    AuthActions(staff).login("staff")
    rows = _sheet(staff.get("/staff/rectification/export.xlsx"))
    assert rows[0] == HEADERS and len(rows) == 3
    first = rows[1]
    assert first[0] == 1 and first[3] == "县政务服务管理局"
    assert first[1].startswith("ZG-2026-0001 钱七反映：")  # staff's copy is whole
    assert isinstance(first[6], datetime) and first[6].date() == date(2026, 10, 23)
    assert first[4] == "加强培训，设立监督岗" and first[5] == "王科长"
    assert "已组织全员培训" in first[7] and first[8] == "已完成整改，设立监督岗"
    assert "整改到位" in first[9] and first[2] == "网站留言"

    # Filters: unit, status, period.
    assert len(_sheet(staff.get(f"/staff/rectification/export.xlsx?unit={ref.unit['gk']}"))) == 2
    assert len(_sheet(staff.get("/staff/rectification/export.xlsx?status=closed"))) == 2
    assert len(_sheet(staff.get("/staff/rectification/export.xlsx?status=open"))) == 2
    assert len(_sheet(staff.get("/staff/rectification/export.xlsx?date_from=2026-01-01&date_to=2026-12-31"))) == 3
    assert len(_sheet(staff.get("/staff/rectification/export.xlsx?date_from=2027-01-01"))) == 1

    # The unit's copy: its own tasks only, the reporter masked.
    liaison = app.test_client()
    AuthActions(liaison).login("liaison")
    unit_rows = _sheet(liaison.get("/unit/export.xlsx"))
    assert len(unit_rows) == 2
    text = repr(unit_rows)
    assert "钱七" not in text and "钱*" in text and "工科局审批拖延" not in text


def test_a_cell_starting_like_a_formula_stays_text():
    from intake.rectification.ledger import _cell_text

    assert _cell_text("=1+1") == "'=1+1" and _cell_text("@SUM(A1)") == "'@SUM(A1)"
    assert _cell_text("整改") == "整改"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_provisional_deadline_is_marked_in_the_ledger(app, users, ledger):
    from intake.extensions import db
    from intake.rectification.models.tasks import RectificationTask

    app.config["WORKDAY_CALENDAR_FILE"] = ""  # the package's calendar only
    task_id = ledger.route([ledger.item()], problem="跨年的整改", today=date(2026, 12, 21))
    with app.app_context():
        # chinese_calendar 1.11 has no 2027: a deadline in it is counted provisionally.
        assert db.session.get(RectificationTask, task_id).deadline_provisional, "the calendar knows 2027 now"
    staff = app.test_client()
    AuthActions(staff).login("staff")
    response = staff.get("/staff/rectification/export.xlsx")
    ws = load_workbook(io.BytesIO(response.get_data()))["整改台账"]
    cell = ws.cell(row=2, column=7)
    assert cell.value.year == 2027
    assert cell.comment is not None and "暂定" in cell.comment.text and "2027" in cell.comment.text
    assert cell.font.italic
