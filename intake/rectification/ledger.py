"""The ledger (整改台账) as an Excel workbook in the columns county offices use.

Written with openpyxl: real dates in date cells, text as inline strings, a frozen header and
widths that fit Chinese text, so it opens cleanly in Excel and WPS. openpyxl (about 0.08 s to
import) is imported when a workbook is written, not when the app starts."""

import io

from intake.rectification.models.ratings import Satisfaction
from intake.rectification.models.tasks import RectificationTask
from intake.rectification.services import ledger_query, visibility

# The county's own headers: kept in Chinese whatever the UI language, as the offices file them.
COLUMNS = [
    ("序号", 6),
    ("问题描述", 40),
    ("来源", 16),
    ("责任单位", 22),
    ("整改措施", 40),
    ("责任人", 12),
    ("整改时限", 12),
    ("整改进展", 40),
    ("完成情况", 40),
    ("核实情况", 36),
    ("群众满意度", 22),
]
# Excel refuses cells longer than this.
MAX_CELL = 32767
# A leading =, +, - or @ makes Excel and WPS evaluate text as a formula (CSV/formula injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell_text(value: str | None) -> str:
    value = (value or "").replace("\r\n", "\n")
    if value.startswith(FORMULA_START):
        value = "'" + value
    return value[:MAX_CELL]


def _sources(task: RectificationTask) -> str:
    labels = []
    for item in task.items:
        label = item.source.label
        if label not in labels:
            labels.append(label)
    return "、".join(labels)


def _progress(task: RectificationTask, mask) -> str:
    lines = [task.status.label]
    for event in task.progress_updates[-3:]:
        lines.append(event.created_at.date().isoformat() + " " + mask(event.note))
    return "\n".join(lines)


def _verification(task: RectificationTask, mask) -> str:
    lines = []
    for visit in task.visits:
        line = visit.visited_on.isoformat() + " " + visit.outcome.label + "：" + mask(visit.findings)
        if visit.reasons:
            line += "（" + mask(visit.reasons) + "）"
        lines.append(line)
    return "\n".join(lines)


def _satisfaction(task: RectificationTask) -> str:
    counts = ledger_query.satisfaction_counts(task)
    total = sum(counts.values())
    if not total:
        return ""
    good = counts[Satisfaction.satisfied] + counts[Satisfaction.basically]
    return (
        f"满意{counts[Satisfaction.satisfied]} 基本满意{counts[Satisfaction.basically]} "
        f"不满意{counts[Satisfaction.dissatisfied]}（满意率{good * 100 // total}%）"
    )


def ledger_rows(tasks: list[RectificationTask], masked: bool) -> list[list]:
    rows = []
    for index, task in enumerate(tasks, start=1):

        def mask(text, task=task):
            return visibility.mask_for_task(text, task) if masked else (text or "")

        rows.append(
            [
                index,
                _cell_text(task.code + " " + mask(task.problem)),
                _cell_text(_sources(task)),
                _cell_text(task.unit.name),
                _cell_text(mask(task.measures)),
                _cell_text(mask(task.responsible_person)),
                task.deadline,
                _cell_text(_progress(task, mask)),
                _cell_text(mask(task.completion_report)),
                _cell_text(_verification(task, mask)),
                _cell_text(_satisfaction(task)),
            ]
        )
    return rows


def workbook_bytes(tasks: list[RectificationTask], masked: bool) -> bytes:
    """The ledger as .xlsx bytes. `masked`: the unit's copy, with every reporter identity masked."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([name for name, _width in COLUMNS])
    for col, (_name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width
    for task, row in zip(tasks, ledger_rows(tasks, masked)):
        ws.append(row)
        r = ws.max_row
        for col in range(1, len(COLUMNS) + 1):
            cell = ws.cell(row=r, column=col)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
        deadline = ws.cell(row=r, column=7)
        deadline.number_format = "yyyy-mm-dd"
        if task.deadline_provisional:
            # Counted without the State Council's schedule for those years: may still move.
            deadline.font = Font(italic=True, color="9C5700")
            deadline.comment = Comment(
                f"暂定：{task.provisional_year_list}年节假日安排尚未录入，时限按周末和法定节假日推算，录入后重新计算。",
                "intake",
            )
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, ws.max_row)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
