"""`make run`'s demo appraisal and the operators' report: a counted ballot, a notice issued, and
the notice's PDF with Noto CJK embedded, the unit's name, its grade and the charts' words."""

import re

import pytest
from sqlalchemy import select

from intake.appraisal.models import AppraisalSession, OpinionSource, SessionState, UnitNotice
from intake.appraisal.services import AppraisalError, opinions
from intake.extensions import db
from tests.conftest import AuthActions
from tests.printing.test_documents import NOTO_CJK, pdf_tool

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
DEMO = ["intake", "demo-appraisal", "--password", "demo-password-1", "--actor", "admin"]


def test_demo_appraisal_report_pdf_has_fonts_name_grade_and_chart_words(app, runner, users, tmp_path):
    first = runner.invoke(args=["intake", "demo-program", "--password", "demo-password-1", "--actor", "admin"])
    assert first.exit_code == 0, first.output
    result = runner.invoke(args=DEMO)
    assert result.exit_code == 0 and "counted" in result.output, result.output
    assert "nothing to add" in runner.invoke(args=DEMO).output
    with app.app_context():
        [session] = db.session.scalars(select(AppraisalSession)).all()
        assert session.state is SessionState.counted and session.counted_ballots == 8
        notice = db.session.scalars(select(UnitNotice)).one()
        code, name = notice.cycle_unit.unit.code, notice.cycle_unit.unit.name

    out = tmp_path / "notice.pdf"
    report = runner.invoke(args=["intake", "program", "report", "--year", "2026", "--unit", code, "--out", str(out)])
    assert report.exit_code == 0, report.output
    pdf = out.read_bytes()
    assert NOTO_CJK.search(pdf_tool("pdffonts", pdf, tmp_path))
    text = "".join(pdf_tool("pdftotext", pdf, tmp_path).split())
    assert name in text
    assert re.search("等次[:：]满意", text)  # the grade the demo's ballots give the first unit
    for chart_word in ("票数", "所投票数", "基本满意", "弃权"):  # axis title, legend, axis labels
        assert chart_word in text, chart_word

    county = runner.invoke(args=["intake", "program", "report", "--year", "2026", "--out", str(out)])
    assert county.exit_code == 0 and "基本满意" in "".join(pdf_tool("pdftotext", out.read_bytes(), tmp_path).split())
    assert (
        runner.invoke(
            args=["intake", "program", "report", "--year", "2026", "--unit", "nope", "--out", str(out)]
        ).exit_code
        != 0
    )

    staff = app.test_client()
    AuthActions(staff).login("staff")
    with app.app_context():
        cu_id = notice.cycle_unit_id
    plaque = staff.get(f"/staff/appraisal/units/{cu_id}/plaque.pdf")
    assert plaque.status_code == 200
    plaque_text = "".join(pdf_tool("pdftotext", plaque.data, tmp_path).split())
    assert "政协民主评议满意单位" in plaque_text and name in plaque_text
    with app.app_context():
        # The issued notice's opinions open tasks: an item's opinion routes that very item.
        cu = db.session.get(UnitNotice, notice.id).cycle_unit
        handed = {o.source: o for o in opinions.opinions_of(cu.id)}
        item_opinion, staff_opinion = handed[OpinionSource.item], handed[OpinionSource.staff]
        tasks = opinions.open_tasks(
            cu, {item_opinion.id: "整改要求一", staff_opinion.id: "整改要求二"}, users["staff"], "JD"
        )
        db.session.commit()
        assert [t.requirement for t in tasks] == ["整改要求一", "整改要求二"]
        assert [i.id for i in tasks[0].items] == [int(item_opinion.source_ref)]
        assert all(t.unit_id == cu.unit_id for t in tasks)
        with pytest.raises(AppraisalError):
            opinions.open_tasks(cu, {item_opinion.id: "again"}, users["staff"], "JD")
        db.session.rollback()
    member = app.test_client()
    AuthActions(member).login("weiyuan", "demo-password-1")
    page = member.get(f"/member/appraisal/units/{cu_id}")
    assert page.status_code == 200 and name in page.get_data(as_text=True)
