"""In real Chromium: the unit liaison's path through a task, and the reporter's rating on a
phone. One backend: the browser does not care which database is behind the server."""

from pathlib import Path

import pytest

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from intake.rectification.models.tasks import RectificationTask, TaskStatus
from tests.conftest import PASSWORD
from tests.factories import PNG_1X1

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
SHOTS = Path("/tmp/intake-shots")


def _login(page, base, username):
    page.goto(base + "/auth/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_the_liaison_signs_reports_progress_asks_for_time_and_reports_done(
    app, users, ledger, live_server, desktop_page
):
    item_id = ledger.item(body="便民窗口工作人员中午提前下班，群众白跑一趟。")
    task_id = ledger.route([item_id])
    with app.app_context():
        code = db.session.get(RectificationTask, task_id).code
    page = desktop_page
    _login(page, live_server, "liaison")
    page.wait_for_url("**/unit/")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/unit/tasks/{task_id}")
    assert page.locator("#task-status").inner_text() == "已派发"
    assert "中午提前下班" in page.locator(".report").inner_text()

    page.fill("#measures", "调整午间值班安排，设立监督岗")
    page.fill("#responsible_person", "王科长")
    page.get_by_role("button", name="签收", exact=True).click()
    page.wait_for_url(f"**/unit/tasks/{task_id}")
    assert page.locator("#task-status").inner_text() == "已签收"

    page.fill("#note", "已召开窗口人员会议")
    page.set_input_files("#files", files=[{"name": "会议.png", "mimeType": "image/png", "buffer": PNG_1X1}])
    page.get_by_role("button", name="提交进展").click()
    page.wait_for_url(f"**/unit/tasks/{task_id}")
    assert page.locator(".flash").inner_text() == "已保存。"
    assert page.locator("#task-status").inner_text() == "整改中"
    assert page.locator("#evidence li").count() == 1
    assert "已召开窗口人员会议" in page.locator("#task-history").inner_text()

    page.fill("#requested_deadline", "2026-12-30")
    page.fill("#reason", "需协调人社部门调整排班")
    page.get_by_role("button", name="提交延期申请").click()
    page.wait_for_url(f"**/unit/tasks/{task_id}")
    assert "2026-12-30" in page.locator("#extension").inner_text()

    page.fill("#completion_report", "午间值班已落实，监督岗已设立")
    page.get_by_role("button", name="报告整改完成").click()
    page.wait_for_url(f"**/unit/tasks/{task_id}")
    assert page.locator("#task-status").inner_text() == "已报告完成"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "unit-task.png"), full_page=True)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert task.status is TaskStatus.reported_done and task.responsible_person == "王科长"


def test_the_reporter_rates_the_outcome_on_a_phone(app, users, ledger, live_server, phone_page):
    item_id = ledger.item()
    task_id = ledger.route([item_id])
    ledger.advance(task_id, "closed")
    with app.app_context():
        item = db.session.get(FeedbackItem, item_id)
        url = f"{live_server}/jiandu/track/{item.tracking_code}?s={item.lookup_secret}"
    page = phone_page
    page.goto(url)
    assert page.locator("#item-status").inner_text() == "已办结"
    assert "已完成整改，设立监督岗" in page.locator("#outcome").inner_text()
    page.get_by_label("基本满意").check()
    page.fill("#comment", "中午能办事了，但排队还是久")
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_selector("#rating-given")
    assert page.locator(".flash").inner_text() == "感谢您的评价，已记录。"
    assert page.locator("#rating-given").inner_text() == "您的评价：基本满意"
    assert page.locator("#rating-form").count() == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "reporter-rating.png"), full_page=True)
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert [(r.grade.value, r.comment) for r in task.ratings] == [("basically", "中午能办事了，但排队还是久")]
        assert task.status is TaskStatus.closed
