"""Staff build and hand out a questionnaire and read its results; the unit's liaison reads only
their own unit's results, and only once staff published them."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.surveys import services
from intake.surveys.models import Answer, Questionnaire
from tests.conftest import csrf_token_from
from tests.printing.test_documents import pdf_tool
from tests.surveys.conftest import SATISFIED, answer, make_questionnaire

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def staff_client(client, auth, users):
    auth.login("staff")
    return client


def _token(client, url="/staff/surveys/"):
    return csrf_token_from(client.get(url).get_data(as_text=True))


@SQLITE
def test_staff_create_from_the_template_and_build_questions(app, staff_client, ref):
    token = _token(staff_client)
    form = {"csrf_token": token, "year": "2026", "unit_id": str(ref.unit["zwfw"]), "title": "", "from_template": "y"}
    r = staff_client.post(
        "/staff/surveys/", data={**form, "opens_at": "2026-05-01T08:00", "closes_at": "2026-04-01T08:00"}
    )
    assert r.status_code == 400 and 'value="2026-05-01T08:00"' in r.get_data(as_text=True)
    assert "结束时间须晚于开始时间" in r.get_data(as_text=True)
    r = staff_client.post(
        "/staff/surveys/", data={**form, "opens_at": "2026-05-01T08:00", "closes_at": "2026-06-01T18:00"}
    )
    assert r.status_code == 303
    with app.app_context():
        q = db.session.scalar(select(Questionnaire))
        assert q.title == "2026年县政务服务管理局服务对象满意度调查问卷" and len(q.questions) == 7
        assert q.opens_at.hour == 0  # 08:00 in the county is midnight UTC
        qid = q.id
    edit = f"/staff/surveys/{qid}"
    page = staff_client.get(edit).get_data(as_text=True)
    assert "/q/" in page and "如果您对“您对县政务服务管理局的服务满意吗？”的回答是“不满意”" in page
    token = csrf_token_from(page)
    bad = {"csrf_token": token, "label": "", "kind": "single", "choices": "1号窗口\n2号窗口", "show_if": ""}
    r = staff_client.post(f"{edit}/questions", data=bad)
    assert r.status_code == 400 and "1号窗口\n2号窗口</textarea>" in r.get_data(as_text=True)
    good = {**bad, "label": "您在哪个窗口办事？", "show_if": "satisfaction=dissatisfied", "required": "y"}
    assert staff_client.post(f"{edit}/questions", data=good).status_code == 303
    with app.app_context():
        question = services.questionnaire(qid).questions[-1]
        assert [(c.name, c.label) for c in question.choices] == [("c1", "1号窗口"), ("c2", "2号窗口")]
        assert question.show_if_question.name == "satisfaction" and question.required
        question_id, first_id = question.id, services.questionnaire(qid).questions[0].id
    page = staff_client.get(f"{edit}/questions/{question_id}").get_data(as_text=True)
    assert "c1 | 1号窗口" in page
    r = staff_client.post(f"{edit}/questions/{question_id}/move", data={"csrf_token": token, "direction": "up"})
    assert r.status_code == 303
    r = staff_client.post(f"{edit}/questions/{first_id}/delete", data={"csrf_token": token})
    assert r.status_code == 303  # refused with a message: rules refer to it
    with app.app_context():
        names = [x.name for x in services.questionnaire(qid).questions]
        assert names[0] == "satisfaction" and names[-2] == "q8"


@SQLITE
def test_qr_codes_poster_and_exports(app, staff_client, survey, tmp_path):
    with app.app_context():
        answer(services.questionnaire(survey.id), **SATISFIED, attitude=4, key_problem="窗口少")
        db.session.commit()
    png = staff_client.get(f"/staff/surveys/{survey.id}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    svg = staff_client.get(f"/staff/surveys/{survey.id}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.data and "attachment" in svg.headers["Content-Disposition"]
    pdf = staff_client.get(f"/staff/surveys/{survey.id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert re.search(r"Pages:\s+1\n", pdf_tool("pdfinfo", pdf.data, tmp_path))  # one A4 sheet for the window
    text = pdf_tool("pdftotext", pdf.data, tmp_path)
    assert "县政务服务管理局" in text and f"/q/{survey.token}" in text
    book = load_workbook(io.BytesIO(staff_client.get(f"/staff/surveys/{survey.id}/answers.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[0][1].startswith("1. 您对") and rows[1][1] == "满意" and "窗口少" in rows[1]
    definition = load_workbook(io.BytesIO(staff_client.get(f"/staff/surveys/{survey.id}/form.xlsx").data))
    assert definition.sheetnames == ["survey", "choices", "settings"]


@SQLITE
def test_results_with_charts_and_an_answer_made_an_item(app, staff_client, survey):
    with app.app_context():
        q = services.questionnaire(survey.id)
        answer(q, **SATISFIED, attitude=4, key_problem="不动产登记窗口中午无人值守")
        answer(q, satisfaction="basically", waited="w30", trips=2, key_problem="停车难")
        db.session.commit()
    page = staff_client.get(f"/staff/surveys/{survey.id}/results").get_data(as_text=True)
    assert "2 份答卷" in page and page.count('src="data:image/svg+xml;base64,') >= 5
    assert "平均：1.5" in page and "停车难" in page
    page = staff_client.get(f"/staff/surveys/{survey.id}/results?search=停车").get_data(as_text=True)
    assert "停车难" in page and "中午无人值守" not in page
    assert staff_client.get(f"/staff/surveys/{survey.id}/results?date_from=not-a-date").status_code == 400
    answer_id = re.search(r"/staff/surveys/answers/([0-9a-f]{32})/item", page).group(1)
    r = staff_client.post(f"/staff/surveys/answers/{answer_id}/item", data={"csrf_token": csrf_token_from(page)})
    assert r.status_code == 303
    with app.app_context():
        item = db.session.scalar(select(FeedbackItem))
        assert item.body == "停车难" and item.source.value == "questionnaire" and item.reporter is None
        assert db.session.get(Answer, answer_id).item_id == item.id


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_liaison_reads_own_unit_results_only_once_published(app, client, auth, users, survey):
    with app.app_context():
        other = make_questionnaire(unit_code="gk")
        services.set_results_published(services.questionnaire(other.id), True)
        db.session.commit()
    auth.login("liaison")  # the service bureau's (zwfw)
    assert client.get(f"/unit/surveys/{survey.id}").status_code == 404  # not published yet
    assert client.get(f"/unit/surveys/{other.id}").status_code == 404  # another unit's
    assert "尚未向贵单位公开" in client.get("/unit/surveys/").get_data(as_text=True)
    auth.logout()
    auth.login("staff")
    page = client.get(f"/staff/surveys/{survey.id}").get_data(as_text=True)
    token = csrf_token_from(page)
    assert (
        client.post(f"/staff/surveys/{survey.id}/publish", data={"csrf_token": token, "published": "1"}).status_code
        == 303
    )
    auth.logout()
    auth.login("liaison")
    listing = client.get("/unit/surveys/").get_data(as_text=True)
    assert f"/unit/surveys/{survey.id}" in listing and f"/unit/surveys/{other.id}" not in listing
    page = client.get(f"/unit/surveys/{survey.id}")
    assert page.status_code == 200 and "转为反映事项" not in page.get_data(as_text=True)
    assert client.get(f"/unit/surveys/{other.id}").status_code == 404
    assert client.get(f"/staff/surveys/{survey.id}/results").status_code == 403


@SQLITE
@pytest.mark.parametrize(
    ("lang", "heading"), [("zh_Hans", "调查问卷"), ("zh_Hant", "調查問卷"), ("en", "Questionnaires")]
)
def test_staff_pages_in_each_language(staff_client, survey, lang, heading):
    with staff_client.application.app_context():
        question_id = services.questionnaire(survey.id).questions[1].id
    pages = ["/staff/surveys/", f"/staff/surveys/{survey.id}", f"/staff/surveys/{survey.id}/results"]
    pages.append(f"/staff/surveys/{survey.id}/questions/{question_id}")
    for url in pages:
        r = staff_client.get(f"{url}?lang={lang}")
        assert r.status_code == 200 and heading in r.get_data(as_text=True), url
