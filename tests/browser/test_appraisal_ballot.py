"""A member casts the secret ballot on a 360 px phone: tap targets of 44 px, no sideways
scrolling, a receipt at the end."""

import pytest

from tests.appraisal.conftest import voters, voting_session  # noqa: F401 - fixtures
from tests.conftest import PASSWORD

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_member_votes_on_a_small_phone(app, live_server, browser, voters, voting_session):  # noqa: F811
    session_id, _key = voting_session
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    try:
        page.goto(live_server + "/auth/login")
        page.fill("#username", "voter1")
        page.fill("#password", PASSWORD)
        page.locator("form button[type=submit]").last.click()
        page.goto(live_server + "/member/appraisal/")
        page.get_by_role("link", name="投票").click()
        page.wait_for_url(f"**/member/appraisal/{session_id}/vote")
        choices = page.locator("#ballot label.choice")
        assert choices.count() == 8  # two units, four marks each
        assert all(choices.nth(i).bounding_box()["height"] >= 44 for i in range(choices.count()))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.locator("#ballot fieldset").nth(0).get_by_text("基本满意").click()
        page.locator("#ballot fieldset").nth(1).get_by_text("弃权").click()
        page.get_by_role("button", name="投出我的选票").click()
        receipt = page.locator("#receipt")
        receipt.wait_for()
        assert len(receipt.inner_text().strip()) == 10
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
