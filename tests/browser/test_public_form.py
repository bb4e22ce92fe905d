"""The public form in real Chromium on a phone, as a citizen inside WeChat would use it."""

from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import FeedbackItem
from tests.factories import PNG_1X1

# The browser is the subject here; one database is enough.
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

SHOTS = Path("/tmp/intake-shots")
BODY = "今天上午在县政务服务大厅3号窗口办理营业执照变更，工作人员一直在玩手机，让我等了一个多小时，最后说材料不全让我下次再来，已经是第三次跑了。"


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_submission_with_a_photo_and_status_lookup(app, live_server, phone_page):
    SHOTS.mkdir(exist_ok=True)
    page = phone_page
    page.goto(live_server + "/jiandu/")
    assert page.locator("h1").inner_text() == "民主监督：向政协反映情况"
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / "phone-form.png"), full_page=True)

    page.get_by_label("投诉").check()
    page.select_option("#unit_id", label="县政务服务管理局")
    page.select_option("#category_id", label="工作作风 / 服务态度")
    page.fill("#body", BODY)
    page.fill("#location", "政务服务大厅3号窗口，11月2日上午")
    page.set_input_files(
        "input[type=file]", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG_1X1}]
    )
    page.fill("#name", "张三")
    page.fill("#email", "zhangsan@example.cn")
    page.get_by_label("我已阅读并同意联系方式的使用说明").check()
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="提交").click()

    page.wait_for_url("**/jiandu/submitted")
    code = page.locator("#tracking-code").inner_text().strip()
    secret = page.locator("#lookup-secret").inner_text().strip()
    assert code.startswith("JD-") and len(secret) == 10
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / "phone-confirmation.png"), full_page=True)

    page.get_by_role("link", name="打开进度页面").click()
    page.wait_for_url(f"**/jiandu/track/{code}")  # the secret is in no URL
    assert page.locator("#item-status").inner_text() == "待受理"
    assert BODY in page.locator(".body-text").inner_text()
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / "phone-status.png"), full_page=True)

    with app.app_context():
        item = db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == code))
        assert item.lookup_secret == secret
        assert (item.unit.code, item.category.code, item.kind.value) == ("zwfw", "taidu", "complaint")
        assert [(a.original_name, a.size) for a in item.attachments] == [("现场照片.png", len(PNG_1X1))]
        assert item.reporter.name == "张三"


def test_phone_invalid_submission_keeps_the_text(app, live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/jiandu/")
    page.select_option("#unit_id", label="县工业商务和科学技术信息局")
    page.fill("#body", "态度差")
    page.fill("#name", "李四")
    page.fill("#phone", "13800138000")
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()

    assert page.locator("#body-errors").inner_text() == "请填写 10 至 5000 个字。"
    assert page.locator("#error-summary").is_visible()
    assert page.evaluate("document.activeElement.id") == "error-summary"  # read out first
    assert page.input_value("#body") == "态度差"
    assert page.input_value("#name") == "李四"
    assert page.input_value("#phone") == "13800138000"
    assert page.locator("#unit_id option:checked").inner_text() == "县工业商务和科学技术信息局"
    assert no_horizontal_scroll(page)
    page.screenshot(path=str(SHOTS / "phone-error.png"), full_page=True)
    with app.app_context():
        assert db.session.scalar(select(FeedbackItem)) is None


def test_anonymous_box_hides_the_contact_fields(live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/jiandu/")
    assert page.locator("#name").is_visible()
    page.locator("#anonymous").check()
    assert not page.locator("#name").is_visible()
    assert not page.locator("#email").is_visible()


def test_a_slow_upload_shows_that_it_is_sending_and_how_far(app, live_server, phone_page):
    page = phone_page
    page.goto(live_server + "/jiandu/")
    page.fill("#body", BODY)
    photo = PNG_1X1 + bytes(150 * 1024)  # 150 KB over a 2G-like line: a few seconds
    page.set_input_files("input[type=file]", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": photo}])
    cdp = page.context.new_cdp_session(page)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 50, "downloadThroughput": 500 * 1024, "uploadThroughput": 60 * 1024},
    )
    page.get_by_role("button", name="提交").click()
    button = page.locator("button.js-submit")
    assert button.is_disabled() and button.inner_text() == "正在发送…"
    page.wait_for_selector("#upload-progress progress[value]:not([value='0'])", state="attached")
    assert "正在上传" in page.locator("#upload-progress").inner_text()
    page.wait_for_url("**/jiandu/submitted", timeout=60000)
    assert page.locator("#tracking-code").inner_text().startswith("JD-")
