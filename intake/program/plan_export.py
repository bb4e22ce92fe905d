"""The implementation plan as printed: a Word file (python-docx) and an A4 PDF (WeasyPrint),
both from the same version, with the committee's header and the date of approval in Chinese."""

from datetime import date

from flask import current_app

from intake.printing.dates import chinese_date
from intake.printing.pdf import render_pdf
from intake.program.plan_models import PlanVersion

# The numbered sections as the plan prints them: (heading, attribute).
HEADINGS = [
    ("一、指导思想", "guiding_idea"),
    ("二、监督原则", "principles"),
    ("三、领导机构", None),
    ("四、主要内容", "main_content"),
    ("五、监督方式", "methods"),
    ("六、实施步骤及时间安排", "steps"),
    ("七、工作要求", "requirements"),
]


def _issued_on(version: PlanVersion) -> date:
    return (version.approved_at or version.created_at).date()


def _timetable_rows(version: PlanVersion) -> list[list[str]]:
    rows = []
    for n, row in enumerate(version.timetable, start=1):
        due = date.fromisoformat(row["due_on"]) if row.get("due_on") else None
        rows.append([str(n), row.get("stage", ""), chinese_date(due) + "前" if due else "", row.get("owner", "")])
    return rows


TIMETABLE_HEADER = ["序号", "阶段", "完成时间", "责任主体"]
LEADER_HEADER = ["职务", "姓名", "单位及职务"]


def file_stem(version: PlanVersion) -> str:
    cu = version.plan.cycle_unit
    return f"{cu.cycle.year}-{cu.unit.code}-实施方案-v{version.number}"


def plan_docx(version: PlanVersion) -> bytes:
    from intake.printing.word import OfficialDocument  # python-docx: loaded when a plan is exported

    document = OfficialDocument(current_app.config["COMMITTEE_NAME"], _issued_on(version))
    document.title(version.title)
    for heading, attr in HEADINGS:
        document.heading(heading)
        if attr is None:
            document.table(LEADER_HEADER, [[r["role"], r["name"], r["title"]] for r in version.leading_group])
            document.paragraphs(version.leading_office)
            continue
        document.paragraphs(getattr(version, attr))
        if attr == "steps" and version.timetable:
            document.table(TIMETABLE_HEADER, _timetable_rows(version))
    document.signature()
    return document.to_bytes()


def plan_pdf(version: PlanVersion) -> bytes:
    return render_pdf(
        "printing/plan.html",
        issued_on=_issued_on(version),
        version=version,
        headings=HEADINGS,
        timetable_header=TIMETABLE_HEADER,
        timetable_rows=_timetable_rows(version),
        leader_header=LEADER_HEADER,
        unit_name=version.plan.cycle_unit.unit.name,
    )
