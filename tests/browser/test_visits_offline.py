"""A visit recorded on a phone without signal (intake/visits), in real Chromium: the Service
Worker opens the form offline, the outbox keeps the visit over a reload and a new sign-in, and
sending it twice (the first answer lost on the way back) still stores it once."""

import contextlib
import io
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from intake.extensions import db
from intake.storage import path_for
from intake.visits.models import Visit
from tests import servers
from tests.conftest import PASSWORD
from tests.visits.world import gps_jpeg, world  # noqa: F401

SHOTS = Path("/tmp/intake-shots")
PHONE_360 = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


# The page is controlled by the Service Worker (waited for by a promise: the CSP forbids the
# string evaluation wait_for_function polls with).
CONTROLLED = """async () => {
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise(resolve => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  return true;
}"""
# Every control of the visit form a thumb must hit, smaller than 44 CSS pixels.
SMALL_TAP_TARGETS = """[...document.querySelectorAll(
  'main select, main button, main textarea, main label.choice, main input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
  .filter(el => el.getBoundingClientRect().height < 44).map(el => el.outerHTML.slice(0, 80))"""


class Gate:
    """WSGI middleware of the test server. `refuse`: every request answered 503 (a Service
    Worker's own requests are not cut by the browser's offline switch). `lose_answers`: visits
    sent are stored, but the answer is lost on the way back (503), as on a dropping line."""

    def __init__(self, app):
        self.app, self.refuse, self.lose_answers = app, False, False

    def __call__(self, environ, start_response):
        if self.lose_answers and environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/member/visits/new":
            result = self.app(environ, lambda status, headers, exc_info=None: lambda data: None)
            for _chunk in result:
                pass
            getattr(result, "close", lambda: None)()
        elif not self.refuse:
            return self.app(environ, start_response)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"offline"]


@pytest.fixture
def gated_server(app):
    from werkzeug.serving import make_server

    gate = Gate(app)
    server = make_server("127.0.0.1", servers.free_port(), gate, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield gate, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _visits(app) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [
            (v.place, len(v.photos), v.photos[0].stored_name if v.photos else "")
            for v in db.session.scalars(select(Visit))
        ]


def _sign_in(page):
    page.fill("#username", "member")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()


@contextlib.contextmanager
def member_on_a_phone(browser, base: str, path: str):
    """A 360 px phone's browser context, the member signed in and on `path`: (context, page)."""
    context = browser.new_context(**PHONE_360)
    page = context.new_page()
    try:
        page.goto(f"{base}/auth/login?next={path}")
        _sign_in(page)
        page.wait_for_url(f"**{path}")
        yield context, page
    finally:
        context.close()


def test_a_visit_recorded_offline_is_sent_once_when_back_online(app, gated_server, browser, world):
    gate, base = gated_server
    with member_on_a_phone(browser, base, "/member/visits/new") as (context, page):
        # Opened online once: the Service Worker is installed, has kept the form, and controls the page.
        page.evaluate(CONTROLLED)

        gate.refuse = True
        context.set_offline(True)
        page.select_option("#unit_id", label="县政务服务管理局")
        page.fill("#place", "政务服务大厅12号窗口")
        page.check("#incognito")
        page.fill("#answer-wait_minutes", "45")
        page.fill("#answer-trips", "3")
        page.check("input[name=answer-promise_kept][value=no]")
        page.fill("#findings", "不动产登记窗口要求群众回去复印身份证，未落实“一次办好”。")
        page.wait_for_selector(".js-draft-note:not([hidden])")
        page.reload()  # offline: the Service Worker answers from its cache, the draft comes back
        page.wait_for_selector("#visit-form[data-ready='1']")
        assert page.input_value("#place") == "政务服务大厅12号窗口" and page.input_value("#answer-trips") == "3"
        assert page.is_checked("#incognito")
        photo = {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": gps_jpeg(3000, 2000)}
        page.set_input_files("#photos", files=[photo])
        page.wait_for_selector(".js-photo-list li")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.evaluate(SMALL_TAP_TARGETS) == []
        page.get_by_role("button", name="保存此次走访").click()
        page.wait_for_selector("#outbox li[data-state=waiting]")

        page.reload()  # still offline: the visit waits in the outbox
        page.wait_for_selector("#outbox[data-count='1']")
        assert "政务服务大厅12号窗口" in page.locator("#outbox").inner_text()
        assert _visits(app) == []
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "visit-outbox-offline.png"), full_page=True)

        # Back online, but the session expired meanwhile: the outbox says so and keeps the visit;
        # after signing in again it sends with fresh credentials. The server stores the visit,
        # and its answer is lost on the way back.
        context.clear_cookies()
        gate.refuse, gate.lose_answers = False, True
        context.set_offline(False)
        page.evaluate("window.intakeVisits.flush()")
        page.get_by_role("link", name="重新登录").click()
        page.wait_for_url("**/auth/login?next=**")
        _sign_in(page)
        page.wait_for_url("**/member/visits/")
        page.wait_for_selector("#outbox li[data-state=failed]")
        assert len(_visits(app)) == 1

        # The same outbox sent again: the server answers "already stored", nothing new.
        gate.lose_answers = False
        page.reload()
        page.wait_for_selector("#outbox[data-count='0'] li[data-state=sent]")
        [(place, photos, stored_name)] = _visits(app)
        assert (place, photos) == ("政务服务大厅12号窗口", 1)
        with Image.open(io.BytesIO(path_for_in(app, stored_name))) as image:
            assert len(image.getexif()) == 0 and max(image.size) <= 1600  # shrunk on the phone, no EXIF
        page.screenshot(path=str(SHOTS / "visit-outbox-sent.png"), full_page=True)


def path_for_in(app, stored_name: str) -> bytes:
    with app.app_context():
        return path_for(stored_name).read_bytes()
