"""Signing in and out, and how passwords are kept."""

from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from tests.conftest import PASSWORD, make_user
from tests.helpers import form_values, post_form


@pytest.fixture
def staff(app):
    return make_user(app, "zhouli", "staff")


def test_staff_lands_on_the_queue(client, auth, staff):
    response = auth.login("zhouli")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_username_is_case_insensitive(client, auth, staff):
    assert auth.login("ZhouLi").status_code == 302


def test_member_lands_on_their_supervision_work(app, auth):
    make_user(app, "weiyuan", "member")
    assert auth.login("weiyuan").headers["Location"] == "/member/program/"


@pytest.mark.parametrize("username, password", [("zhouli", "wrong-password"), ("nobody", PASSWORD)])
def test_failed_login_says_so_and_keeps_the_username(client, staff, username, password):
    response = post_form(client, "/auth/login", {"username": username, "password": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "用户名或密码错误。" in html
    values = form_values(html)
    assert values["username"] == username
    assert values["password"] == ""  # never echoed back
    assert client.get("/staff/").status_code == 302  # still signed out


def test_inactive_account_cannot_sign_in(app, client, auth, staff):
    with app.app_context():
        db.session.get(User, staff).is_active_account = False
        db.session.commit()
    assert auth.login("zhouli").status_code == 401


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # URL checks, not the database
@pytest.mark.parametrize(
    "next_url, lands_on",
    [
        ("/staff/?status=all", "/staff/?status=all"),
        ("//evil.example", "/staff/"),
        ("//evil.example/staff/", "/staff/"),
        ("https://evil.example/", "/staff/"),
        ("javascript:alert(1)", "/staff/"),
        ("/\\evil.example", "/staff/"),  # browsers read /\ as //
        ("/\t/evil.example", "/staff/"),  # and drop tabs
        ("staff/", "/staff/"),
    ],
)
def test_next_only_leads_within_the_site(client, staff, next_url, lands_on):
    url = "/auth/login?next=" + quote(next_url, safe="")
    response = post_form(client, url, {"username": "zhouli", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == lands_on


def test_login_page_redirects_who_is_signed_in(client, auth, staff):
    auth.login("zhouli")
    assert client.get("/auth/login").headers["Location"] == "/staff/"


def test_logout_needs_post_with_csrf(client, auth, staff):
    auth.login("zhouli")
    assert client.get("/auth/logout").status_code == 405
    refused = client.post("/auth/logout")
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True)
    assert client.get("/staff/").status_code == 200  # still signed in

    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    assert "您已退出登录。" in client.get("/auth/login").get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_staff_pages_are_not_cached(client, auth, staff):
    auth.login("zhouli")
    assert client.get("/staff/").headers["Cache-Control"] == "no-store"


def test_passwords_are_stored_as_argon2id_hashes(app, production_password_hashing):
    user_id = make_user(app, "hashcheck", "staff")
    with app.app_context():
        stored = db.session.get(User, user_id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    assert not PasswordHasher().check_needs_rehash(stored)  # production cost, not the tests' cheap one


def test_weak_hash_parameters_are_upgraded_at_login(app, client, auth, production_password_hashing):
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    user_id = make_user(app, "oldhash", "staff")
    with app.app_context():
        db.session.get(User, user_id).password_hash = cheap.hash(PASSWORD)
        db.session.commit()
    assert auth.login("oldhash").status_code == 302
    with app.app_context():
        upgraded = db.session.scalar(select(User.password_hash).where(User.id == user_id))
    assert not PasswordHasher().check_needs_rehash(upgraded)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("start", ["/auth/login", "/auth/login?next=/", "/", "/member/program/"])
def test_a_member_signing_in_lands_on_their_own_home_not_the_public_form(app, client, users, start):
    from tests.conftest import PASSWORD, csrf_token_from

    page = client.get(start, follow_redirects=True)
    login_url = page.request.full_path if page.request.path == "/auth/login" else "/auth/login"
    if page.request.path != "/auth/login":  # the public form: its header has the sign-in link
        page = client.get(login_url)
    token = csrf_token_from(page.get_data(as_text=True))
    landed = client.post(
        login_url, data={"csrf_token": token, "username": "member", "password": PASSWORD}, follow_redirects=True
    )
    assert landed.request.path == "/member/program/"
    # The site's name in the header leads there too, not to the public form.
    assert client.get("/", follow_redirects=True).request.path == "/member/program/"
