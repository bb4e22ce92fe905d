"""The visit pages of members and staff at 360 px in real Chromium: nothing wider than the
screen, every control at least 44 px high."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_visits_offline import SMALL_TAP_TARGETS, member_on_a_phone
from tests.conftest import AuthActions
from tests.visits.world import gps_jpeg, send, visit_form, world  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _fits(page, url: str) -> list:
    page.goto(url)
    assert page.url == url, "not signed in"
    problems = page.evaluate(SMALL_TAP_TARGETS)
    if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
        problems.append("wider than the screen")
    return [(url, p) for p in problems]


def test_visit_pages_fit_a_phone(app, live_server, browser, world):
    phone = app.test_client()
    AuthActions(phone).login("member")
    data = visit_form(world)
    assert send(phone, data, photos=[gps_jpeg(800, 600)]).status_code == 201
    assert send(phone, dict(data, place="另一个窗口")).status_code == 409

    with member_on_a_phone(browser, live_server, "/member/visits/") as (context, page):
        problems = []
        for path in ("/member/visits/", "/member/visits/new", "/member/visits/1", "/member/program/"):
            problems += _fits(page, live_server + path)
        context.clear_cookies()
        page.goto(live_server + "/auth/login")
        page.fill("#username", "staff")
        page.fill("#password", "correct-horse-battery")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/staff/")
        unit = world.units["zwfw"]
        for path in (
            "/staff/visits/",
            f"/staff/visits/2026/units/{unit}",
            f"/staff/visits/2026/members/{world.users['member']}",
            "/staff/visits/2026/checklist",
            "/staff/visits/conflicts",
            "/staff/visits/conflicts/1",
            "/member/visits/1",
        ):
            problems += _fits(page, live_server + path)
        assert problems == []


def test_a_visit_without_its_unit_is_not_queued_and_the_form_keeps_what_was_typed(app, live_server, browser, world):
    """On the phone the form used to be emptied and the visit queued, to come back from the
    server as refused; now the missing fields are marked at once and nothing is queued."""
    with member_on_a_phone(browser, live_server, "/member/visits/new") as (_context, page):
        _until(page, "!!window.intakeVisits")  # the form's script is in charge of the submit
        page.fill("#place", "县政务服务中心三楼12号窗口")
        page.locator("#visit-form button[type=submit]").click()
        expect(page.locator(".js-draft-note")).to_contain_text("已保留")
        assert page.input_value("#place") == "县政务服务中心三楼12号窗口"
        assert page.locator("#unit_id").get_attribute("aria-invalid") == "true"
        assert page.evaluate("document.activeElement.id") == "unit_id"
        assert page.locator(".outbox li, [data-outbox] li").count() == 0


def _until(page, condition: str, seconds: float = 10) -> None:
    """Poll a condition in the page (page.wait_for_function compiles a string, which the app's
    Content Security Policy forbids)."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(condition):
        assert time.monotonic() < deadline, f"never true: {condition}"
        page.wait_for_timeout(50)
