"""Sessions end on the server: copies of cookies taken before logout or a revocation stop
working, remember-me is short, and staff sessions expire when left idle."""

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import time_machine

from intake.auth import services
from intake.auth.models import User
from intake.extensions import db
from tests.conftest import PASSWORD, AuthActions, csrf_token_from, make_user
from tests.helpers import post_form


@pytest.fixture
def staff(app):
    return make_user(app, "zhouli", "staff")


@pytest.fixture
def member(app):
    # Remember-me is for members and liaisons: staff sessions end when idle.
    return make_user(app, "weiyuan", "member")


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _replay(app, cookies: dict[str, str], path: str = "/member/program/"):
    fresh = app.test_client()
    for name, value in cookies.items():
        fresh.set_cookie(name, value)
    return fresh.get(path)


def _remembered_login(client, username: str = "weiyuan", **kwargs):
    return post_form(client, "/auth/login", {"username": username, "password": PASSWORD, "remember": "y"}, **kwargs)


def test_cookies_copied_before_logout_no_longer_open_member_pages(app, client, auth, member):
    assert _remembered_login(client).status_code == 302
    copied = _cookies(client)
    assert {"session", "remember_token"} <= copied.keys()
    assert _replay(app, copied).status_code == 200  # the copies work while signed in

    auth.logout()

    assert _replay(app, copied).headers["Location"].startswith("/auth/login")
    assert _replay(app, {"remember_token": copied["remember_token"]}).headers["Location"].startswith("/auth/login")
    assert _replay(app, {"session": copied["session"]}).headers["Location"].startswith("/auth/login")


def test_sign_out_everywhere_ends_every_session(app, client, staff):
    AuthActions(client).login("zhouli")
    other = app.test_client()
    AuthActions(other).login("zhouli")
    with app.app_context():
        services.revoke_sessions(staff)
        db.session.commit()
    assert client.get("/staff/").status_code == 302
    assert other.get("/staff/").status_code == 302
    # Signing in again works and gives a cookie that is accepted.
    assert AuthActions(other).login("zhouli").status_code == 302
    assert other.get("/staff/").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # cookie attributes, not the database
@pytest.mark.parametrize("session_id", ["1", "x:1", "1:x", "99999999999999999999:1", ":", ""])
def test_malformed_session_ids_are_signed_out(app, staff, session_id):
    from intake.auth.routes import load_user

    with app.app_context():
        assert load_user(session_id) is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_remember_cookie_is_short_lived_httponly_and_lax(app, client, member):
    response = _remembered_login(client)
    headers = response.headers.getlist("Set-Cookie")
    remember = next(h for h in headers if h.startswith("remember_token="))
    session = next(h for h in headers if h.startswith("session="))
    assert "HttpOnly" in remember and "SameSite=Lax" in remember
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=14)
    expires = parsedate_to_datetime(remember.split("Expires=")[1].split(";")[0])
    assert abs(expires - datetime.now(UTC) - timedelta(days=14)) < timedelta(minutes=1)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_secure_cookies_when_configured(app, client, member):
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config["REMEMBER_COOKIE_SECURE"] = True
    response = _remembered_login(client)
    for header in response.headers.getlist("Set-Cookie"):
        assert "Secure" in header


def test_idle_staff_session_expires(app, client, auth, staff):
    with time_machine.travel("2026-12-01T09:00:00+08:00", tick=False) as traveller:
        auth.login("zhouli")
        assert client.get("/staff/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200  # activity resets the clock
        traveller.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        response = client.get("/staff/")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
        assert "长时间未操作" in client.get("/auth/login").get_data(as_text=True)
        assert client.get("/staff/").status_code == 302


def test_member_sessions_do_not_idle_out(app, client, auth, member):
    with time_machine.travel("2026-12-01T09:00:00+08:00", tick=False) as traveller:
        auth.login("weiyuan")
        traveller.shift(timedelta(hours=3))
        assert client.get("/member/program/").status_code == 200


def test_revocation_keeps_the_account(app, staff):
    with app.app_context():
        before = db.session.get(User, staff).session_version
        services.revoke_sessions(staff)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(User, staff).session_version == before + 1


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_over_https_session_and_remember_cookies_are_secure(app, client, member):
    # Over HTTPS Flask-WTF also wants a same-origin Referer, which browsers send here.
    response = _remembered_login(
        client, base_url="https://localhost", headers={"Referer": "https://localhost/auth/login"}
    )
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    assert all("; Secure" in c for c in cookies), cookies
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_staff_get_no_remember_cookie_and_an_old_one_does_not_dodge_the_idle_limit(app, client, staff, member):
    response = _remembered_login(client, "zhouli")
    assert response.status_code == 302
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))
    assert client.get("/staff/").status_code == 200  # signed in, just not remembered

    # A remember cookie issued while the account was a member's, replayed after it became staff.
    other = app.test_client()
    _remembered_login(other)
    remember = _cookies(other)["remember_token"]
    with app.app_context():
        from intake.auth.models import Role

        db.session.get(User, member).role = Role.staff
        db.session.commit()
    assert _replay(app, {"remember_token": remember}, "/staff/").headers["Location"].startswith("/auth/login")


def test_typing_on_a_staff_page_keeps_the_session(app, client, auth, staff):
    with time_machine.travel("2026-12-01T09:00:00+08:00", tick=False) as traveller:
        auth.login("zhouli")
        page = client.get("/staff/").get_data(as_text=True)
        assert 'src="/static/keepalive.js" data-ping-url="/auth/alive"' in page
        token = csrf_token_from(page)
        for _ in range(3):  # an hour and a half of writing a reply, pinged while typing
            traveller.shift(timedelta(minutes=29))
            assert client.post("/auth/alive", headers={"X-CSRFToken": token}).status_code == 204
        assert client.get("/staff/").status_code == 200
        assert client.post("/auth/alive").status_code == 400  # no CSRF token: refused
