"""A questionnaire answered in real Chromium on a 360 px phone with JavaScript off, as in
WeChat's browser at its most limited: the skip rule is in words, the server keeps what was
chosen on error, and the choices are big enough to tap."""

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.surveys.models import Response
from tests.conftest import PHONE
from tests.surveys.conftest import survey  # noqa: F401 - the fixture

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def no_script_phone(browser):
    context = browser.new_context(**{**PHONE, "viewport": {"width": 360, "height": 740}}, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_answer_on_a_phone_without_javascript(app, live_server, no_script_phone, survey):  # noqa: F811
    page = no_script_phone
    page.goto(f"{live_server}/q/{survey.token}")
    assert page.locator("h1").inner_text().endswith("满意度调查问卷")
    assert "“不满意”，请回答此题" in page.locator("#question-why_not .rule").inner_text()
    for choice in page.locator("label.choice").all():
        box = choice.bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    page.get_by_label("不满意").check()
    page.locator("#q_key_problem").fill("材料要求反复变")
    page.get_by_role("button", name="提交问卷").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary").is_visible()
    assert page.get_by_label("不满意").is_checked() and page.input_value("#q_key_problem") == "材料要求反复变"
    page.locator("#question-why_not").get_by_label("服务态度").check()
    page.get_by_label("1小时以上").check()
    page.locator("#q_trips").fill("3")
    page.get_by_role("button", name="提交问卷").click()
    page.wait_for_url(f"**/q/{survey.token}/thanks")
    assert "您的问卷已提交" in page.locator("#survey-state").inner_text()
    page.goto(f"{live_server}/q/{survey.token}")
    assert "已在本设备上填写过" in page.locator("#survey-state").inner_text()
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert sorted(a.question.name for a in response.answers) == [
            "key_problem",
            "satisfaction",
            "trips",
            "waited",
            "why_not",
        ]
