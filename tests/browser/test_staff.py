"""Staff triage in real Chromium: sign in, open the queue, accept an item with a note."""

from pathlib import Path

import pytest

from intake.auth.models import Role
from intake.auth.services import create_user
from intake.extensions import db
from tests.conftest import PASSWORD
from tests.factories import create_item

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

SHOTS = Path("/tmp/intake-shots")


def test_staff_accepts_an_item_and_the_history_says_who(app, live_server, desktop_page):
    with app.app_context():
        create_user("wangkz", PASSWORD, Role.staff, display_name="王科长")
        item = create_item(
            subject="社保窗口中午不开门", body="社保窗口中午十二点到两点半不办理业务，上班族根本没法去。"
        )
        db.session.commit()
        code = item.tracking_code

    page = desktop_page
    page.goto(live_server + "/staff/")
    page.wait_for_url("**/auth/login?next=*")
    page.fill("#username", "wangkz")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")
    assert "王科长" in page.locator(".staff-nav").inner_text()

    page.get_by_role("link", name=code).click()
    page.wait_for_url("**/staff/items/*")
    assert page.locator("#item-status").inner_text() == "待受理"
    page.select_option("#status", label="已受理")
    page.fill("#note", "已与政务服务局联系，核实中。")
    page.get_by_role("button", name="保存").click()

    page.wait_for_url("**/staff/items/*")
    assert page.locator(".flash").inner_text() == "状态已变更为“已受理”。"
    assert page.locator("#item-status").inner_text() == "已受理"
    last = page.locator("#history > li").last
    text = last.inner_text()
    assert "王科长" in text
    assert "将状态由“待受理”变更为“已受理”" in text
    assert "已与政务服务局联系，核实中。" in text
    assert last.locator("time").inner_text().strip()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "staff-item.png"), full_page=True)

    # The queue shows the new status too.
    page.get_by_role("link", name="待办队列").first.click()
    assert "已受理" in page.locator(f"tr:has-text('{code}')").inner_text()
