"""Implementation plans: the template, versions, approval that freezes, and the exports (a Word
file with the sections, a PDF with Noto CJK embedded and the unit's name in its text)."""

import io
import re

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.program import plans
from intake.program.plan_export import plan_docx, plan_pdf
from intake.program.plan_models import ImplementationPlan, PlanVersion
from tests.conftest import AuthActions, csrf_token_from
from tests.printing.test_documents import NOTO_CJK, pdf_tool
from tests.program.plan_world import approved_plan, program  # noqa: F401 - fixture

SECTION_HEADINGS = [
    "一、指导思想",
    "二、监督原则",
    "三、领导机构",
    "四、主要内容",
    "五、监督方式",
    "六、实施步骤及时间安排",
    "七、工作要求",
]


def test_a_plan_starts_from_the_template_with_the_unit_and_the_stages(app, program):
    with app.app_context():
        plan = plans.start_plan(program.cu["A"], program.users["staff"])
        db.session.commit()
        version = plan.latest
        assert version.number == 1 and not version.is_approved
        assert version.title == "关于对县政务服务管理局开展2027年度挂牌民主监督的实施方案"
        assert "县政务服务管理局" in version.main_content and "吃拿卡要" in version.main_content
        assert [row["role"] for row in version.leading_group][:2] == ["组长", "副组长"]
        # The timetable is the cycle's eight stages with their dates, in order.
        assert [row["stage"] for row in version.timetable][:3] == ["动员部署", "抽签确定监督单位", "制定实施方案"]
        assert version.timetable[0]["due_on"] == "2027-03-01"
        # Starting again returns the same plan.
        assert plans.start_plan(program.cu["A"], program.users["staff"]).id == plan.id


def test_every_save_is_a_version_and_approval_freezes_one(app, program):
    staff = program.users["staff"]
    with app.app_context():
        plan = plans.start_plan(program.cu["A"], staff)
        content = plans.PlanContent.of(plan.latest)
        content.guiding_idea = "第二稿的指导思想。"
        v2 = plans.save_plan(plan, content, staff, "改指导思想")
        assert v2.number == 2 and plan.latest is v2
        with pytest.raises(plans.PlanError):
            plans.approve_plan(plan, 1, staff)  # an older version cannot be approved past an edit
        plans.approve_plan(plan, 2, staff)
        with pytest.raises(plans.PlanError):
            plans.approve_plan(plan, 2, staff)  # once
        db.session.commit()
        # Editing after approval is a new draft; the approved version stays in force, unchanged.
        content.guiding_idea = "第三稿。"
        v3 = plans.save_plan(plan, content, staff)
        db.session.commit()
        plan = db.session.get(ImplementationPlan, plan.id)
        assert plan.approved.number == 2 and plan.approved.guiding_idea == "第二稿的指导思想。"
        assert plan.latest.number == 3 and plan.has_pending_draft and not v3.is_approved
        assert [v.number for v in plan.versions] == [1, 2, 3]
        assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == 3


def test_staff_edit_approve_and_read_old_versions_through_the_pages(app, program):
    client = app.test_client()
    AuthActions(client).login("staff")
    token = csrf_token_from(client.get("/staff/program/plans").get_data(as_text=True))
    response = client.post(f"/staff/program/units/{program.cu['A']}/plan", data={"csrf_token": token})
    assert response.status_code == 303
    plan_url = response.headers["Location"]
    page = client.get(plan_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "关于对县政务服务管理局开展2027年度挂牌民主监督的实施方案" in html
    form = {
        "csrf_token": token,
        "title": "新标题",
        "guiding_idea": "新的指导思想",
        "principles": "原则",
        "leading_group": "组长｜王明｜县政协主席\n成员｜李华｜县政协秘书长",
        "leading_office": "",
        "main_content": "内容",
        "methods": "方式",
        "steps": "步骤",
        "requirements": "",
        "change_note": "改",
    }
    # A required section left empty: 400, and everything typed is still in the form.
    bad = client.post(plan_url, data=form)
    assert bad.status_code == 400
    bad_html = bad.get_data(as_text=True)
    assert "新的指导思想" in bad_html and "王明" in bad_html
    form["requirements"] = "要求"
    # A title of spaces only (a phone keyboard's full-width one too) is no title: 400, not 500.
    blank_title = client.post(plan_url, data=dict(form, title="  \u3000 "))
    assert blank_title.status_code == 400 and "新的指导思想" in blank_title.get_data(as_text=True)
    assert client.post(plan_url, data=form).status_code == 303
    # A leading group line without a role is refused, not stored.
    assert client.post(plan_url, data=dict(form, leading_group="｜没有职务")).status_code == 400
    with app.app_context():
        plan = db.session.scalar(select(ImplementationPlan))
        assert [v.number for v in plan.versions] == [1, 2]
        assert plan.latest.leading_group[0] == {"role": "组长", "name": "王明", "title": "县政协主席"}
        plan_id = plan.id
    assert (
        client.post(f"/staff/program/plans/{plan_id}/approve", data={"csrf_token": token, "version": "1"}).status_code
        == 303
    )
    with app.app_context():
        assert db.session.get(ImplementationPlan, plan_id).approved is None  # v1 is not the newest
    assert (
        client.post(f"/staff/program/plans/{plan_id}/approve", data={"csrf_token": token, "version": "2"}).status_code
        == 303
    )
    assert (
        client.post(f"/staff/program/plans/{plan_id}/approve", data={"csrf_token": token, "version": "x"}).status_code
        == 400
    )
    old = client.get(f"/staff/program/plans/{plan_id}/v1")
    assert old.status_code == 200 and "关于对县政务服务管理局" in old.get_data(as_text=True)
    assert client.get(f"/staff/program/plans/{plan_id}/v9").status_code == 404
    assert client.get("/staff/program/plans/999/v1").status_code == 404
    docx_response = client.get(f"/staff/program/plans/{plan_id}/v2.docx")
    assert docx_response.status_code == 200 and docx_response.headers["Content-Disposition"].startswith("attachment")


def test_the_word_file_has_every_section_and_the_leading_group(app, program):
    import docx

    plan_id = approved_plan(app, program.cu["B"], program.users["staff"])
    with app.test_request_context():
        version = db.session.get(ImplementationPlan, plan_id).approved
        data = plan_docx(version)
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert "关于对县工业商务和科学技术信息局开展2027年度挂牌民主监督的实施方案" in texts
    for heading in SECTION_HEADINGS:
        assert heading in texts
    assert any("吃拿卡要" in t for t in texts)
    leaders, timetable = document.tables
    assert leaders.cell(1, 0).text == "组长"
    assert timetable.cell(1, 1).text == "动员部署" and timetable.cell(1, 2).text == "二〇二七年三月一日前"


def test_the_pdf_embeds_noto_cjk_and_extracts_with_the_units_name(app, program, tmp_path):
    plan_id = approved_plan(app, program.cu["A"], program.users["staff"])
    with app.test_request_context():
        pdf = plan_pdf(db.session.get(ImplementationPlan, plan_id).approved)
    fonts = pdf_tool("pdffonts", pdf, tmp_path)
    assert NOTO_CJK.search(fonts), fonts
    text = pdf_tool("pdftotext", pdf, tmp_path)
    assert "县政务服务管理局" in text
    assert "一、指导思想" in text and "七、工作要求" in text
    assert re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", text)


def test_the_database_refuses_to_change_an_approved_version(app, program):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    plan_id = approved_plan(app, program.cu["A"], program.users["staff"])
    with app.app_context():
        for statement in (
            "UPDATE program_plan_versions SET guiding_idea = '篡改' WHERE plan_id = :p",
            "DELETE FROM program_plan_versions WHERE plan_id = :p",
        ):
            with pytest.raises(DatabaseError, match="sealed"):
                db.session.execute(text(statement), {"p": plan_id})
            db.session.rollback()
        # A draft is still a row like any other until approved (the service only ever adds).
        plan = db.session.get(ImplementationPlan, plan_id)
        draft = plans.save_plan(plan, plans.PlanContent.of(plan.latest), program.users["staff"])
        db.session.commit()
        db.session.execute(text("UPDATE program_plan_versions SET change_note = 'x' WHERE id = :v"), {"v": draft.id})
        db.session.rollback()
