"""Two-step sign-in (TOTP) for staff: enrolment by QR and a first code, the code after the
password (each accepted once), recovery codes, turning it off, and the operator's reset."""

import re
import time
from datetime import timedelta

import pyotp
import pytest
import time_machine

from intake.auth.models import User
from intake.extensions import db
from tests.conftest import PASSWORD, AuthActions, make_user
from tests.helpers import post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def staff(app):
    return make_user(app, "zhouli", "staff")


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/auth/two-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert 'src="data:image/svg+xml;base64,' in page
    wrong = post_form(client, "/auth/two-factor/enable", {"code": "000000"}, get_url="/auth/two-factor")
    assert wrong.status_code == 400 and "验证码不匹配" in wrong.get_data(as_text=True)
    done = post_form(client, "/auth/two-factor/enable", {"code": pyotp.TOTP(secret).now()}, get_url="/auth/two-factor")
    codes = re.findall(r"<code>(\d{5}-\d{5})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(codes) == 10
    # Codes shown once, as the answer to the form: no language switch that would lose them.
    assert "?lang=" not in done.get_data(as_text=True)
    reopened = client.get("/auth/two-factor/enable")
    assert reopened.status_code == 405 and "此页面不能通过地址直接打开" in reopened.get_data(as_text=True)
    return secret, codes


def _password_step(app):
    client = app.test_client()
    response = post_form(client, "/auth/login", {"username": "zhouli", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/auth/second-factor"
    return client


def test_after_enrolment_a_code_is_needed_and_works_once(app, client, staff):
    AuthActions(client).login("zhouli")
    secret, _codes = _enrol(client)

    pending = _password_step(app)
    assert pending.get("/staff/").status_code == 302  # not signed in on the password alone
    wrong = post_form(pending, "/auth/second-factor", {"code": "123456"})
    assert wrong.status_code == 400 and "验证码错误或已使用过" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    assert post_form(pending, "/auth/second-factor", {"code": code}).headers["Location"] == "/staff/"
    assert pending.get("/staff/").status_code == 200

    replay = _password_step(app)  # the same code, seen over a shoulder
    assert post_form(replay, "/auth/second-factor", {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once(app, client, staff):
    AuthActions(client).login("zhouli")
    _secret, codes = _enrol(client)
    first = _password_step(app)
    assert post_form(first, "/auth/second-factor", {"code": codes[0]}).status_code == 302
    again = _password_step(app)
    assert post_form(again, "/auth/second-factor", {"code": codes[0]}).status_code == 400
    assert "剩余恢复码：9 个" in first.get("/auth/two-factor").get_data(as_text=True)


def test_the_password_step_expires(app, client, staff):
    AuthActions(client).login("zhouli")
    secret, _codes = _enrol(client)
    with time_machine.travel(time.time(), tick=False) as traveller:
        pending = _password_step(app)
        token_page = pending.get("/auth/second-factor").get_data(as_text=True)
        traveller.shift(timedelta(minutes=6))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', token_page).group(1)
        code = pyotp.TOTP(secret).now()
        response = pending.post("/auth/second-factor", data={"csrf_token": token, "code": code})
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert pending.get("/staff/").status_code == 302


def test_turning_it_off_needs_the_password_and_operators_can_reset_it(app, client, staff, runner):
    AuthActions(client).login("zhouli")
    _enrol(client)
    refused = post_form(client, "/auth/two-factor/disable", {"password": "wrong"}, get_url="/auth/two-factor")
    assert refused.status_code == 400
    off = post_form(client, "/auth/two-factor/disable", {"password": PASSWORD}, get_url="/auth/two-factor")
    assert off.status_code == 303
    _enrol(client)
    result = runner.invoke(args=["intake", "reset-two-factor", "zhouli"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(User, staff).totp_secret is None
    assert client.get("/staff/").status_code == 302  # the reset ended every session
    assert AuthActions(app.test_client()).login("zhouli").headers["Location"] == "/staff/"
