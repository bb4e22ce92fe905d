"""Answering at /q/<token> with the test client: no JavaScript, the politeness cookie, bad input
kept, closed questionnaires, the burst limit and one-time codes."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.surveys.models import Response
from intake.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.surveys.conftest import make_questionnaire

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

GOOD = {"q_satisfaction": "satisfied", "q_waited": "w10", "q_trips": "1", "q_attitude": "5"}


def _responses(app, questionnaire_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Response.questionnaire_id == questionnaire_id))


def _post(client, token: str, data: dict):
    page = client.get(f"/q/{token}?again=1").get_data(as_text=True)
    return client.post(f"/q/{token}", data={"csrf_token": csrf_token_from(page), **data})


def test_answer_without_javascript_then_the_device_is_thanked(app, client, survey):
    page = client.get(f"/q/{survey.token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="zh-Hans">' in html
    assert "您对县政务服务管理局的服务满意吗？" in html
    assert "如果您对“您对县政务服务管理局的服务满意吗？”的回答是“不满意”，请回答此题。" in html
    r = _post(client, survey.token, {**GOOD, "q_why_not": "fees", "q_key_problem": "窗口少"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/q/{survey.token}/thanks")
    assert "answered_" + survey.token in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]
    assert _responses(app, survey.id) == 1
    again = client.get(f"/q/{survey.token}").get_data(as_text=True)
    assert "您已在本设备上填写过这份问卷" in again and 'name="q_satisfaction"' not in again
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert {a.question.name for a in response.answers} == {
            "satisfaction",
            "waited",
            "trips",
            "attitude",
            "key_problem",
        }


def test_bad_answers_are_400_and_keep_what_was_typed(app, client, survey):
    r = _post(
        client,
        survey.token,
        {"q_satisfaction": "dissatisfied", "q_trips": "两次", "q_key_problem": "午间没有人", "q_attitude": "2"},
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and 'id="error-summary"' in html
    assert 'value="两次"' in html and "午间没有人</textarea>" in html
    assert re.search(r'value="dissatisfied" checked', html) and re.search(r'value="2" checked', html)
    assert "请填写整数" in html and html.count("<li>请回答此题。</li>") == 2  # why_not (now shown) and waited
    assert _responses(app, survey.id) == 0
    negative = _post(
        client,
        survey.token,
        {"q_satisfaction": "satisfied", "q_trips": "-5", "q_key_problem": "", "q_attitude": "4"},
    )
    assert negative.status_code == 400 and "请输入 0 或更大的数。" in negative.get_data(as_text=True)
    assert _responses(app, survey.id) == 0


def test_closed_and_not_yet_open_say_so(app, client):
    with app.app_context():
        now = utcnow()
        closed = make_questionnaire(opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
        early = make_questionnaire(unit_code="gk", opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=9))
    r = client.get(f"/q/{closed.token}")
    assert r.status_code == 200 and "这份问卷已于" in r.get_data(as_text=True)
    assert client.get(f"/q/{early.token}").get_data(as_text=True).count("这份问卷尚未开始") == 1
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    r = client.post(f"/q/{closed.token}", data={"csrf_token": token, **GOOD})
    assert r.status_code == 409 and _responses(app, closed.id) == 0
    assert client.get("/q/no-such-token").status_code == 404


def test_bursts_from_one_client_are_limited(app, client, survey):
    app.config["SURVEY_BURST_LIMIT"] = 3
    for _ in range(3):
        assert _post(client, survey.token, GOOD).status_code == 303
    r = _post(client, survey.token, {**GOOD, "q_key_problem": "第四份"})
    assert r.status_code == 429 and "提交过于频繁" in r.get_data(as_text=True)
    assert "第四份</textarea>" in r.get_data(as_text=True)
    assert _responses(app, survey.id) == 3


def test_a_one_time_code_answers_once(app, client, auth, users):
    with app.app_context():
        closed_group = make_questionnaire(requires_code=True)
    auth.login("staff")
    page = client.get(f"/staff/surveys/{closed_group.id}").get_data(as_text=True)
    r = client.post(f"/staff/surveys/{closed_group.id}/codes", data={"csrf_token": csrf_token_from(page), "count": "3"})
    codes = re.findall(r"<li>([A-Z0-9]{8})</li>", r.get_data(as_text=True))
    assert r.status_code == 200 and len(codes) == 3
    auth.logout()
    assert _post(client, closed_group.token, GOOD).status_code == 400  # no code
    assert _post(client, closed_group.token, {**GOOD, "code": codes[0].lower()}).status_code == 303
    r = _post(client, closed_group.token, {**GOOD, "code": codes[0]})
    assert r.status_code == 400 and "该答题码无效或已被使用" in r.get_data(as_text=True)
    assert _responses(app, closed_group.id) == 1


@pytest.mark.parametrize(
    ("lang", "button"), [("zh_Hans", "提交问卷"), ("zh_Hant", "提交問卷"), ("en", "Submit my answers")]
)
def test_the_answer_page_in_each_language(client, survey, lang, button):
    r = client.get(f"/q/{survey.token}?lang={lang}")
    assert r.status_code == 200 and button in r.get_data(as_text=True)
