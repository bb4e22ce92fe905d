"""The admins' users page: accounts created with a temporary password shown once and changed
at the first sign-in, edited, disabled (their sessions end at once) and enabled again, passwords
reset."""

import re

import pytest
from sqlalchemy import select

from intake.auth.models import User
from intake.extensions import db
from intake.reference.models import Unit
from tests.conftest import PASSWORD, AuthActions
from tests.helpers import form_values, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture
def admin(app, users):
    client = app.test_client()
    assert AuthActions(client).login("admin").status_code == 302
    return client


def temporary_password(html: str) -> str:
    return re.search(r'id="temporary-password">([^<]+)<', html).group(1)


def sign_in(app, username: str, password: str):
    client = app.test_client()
    return client, AuthActions(client).login(username, password)


def test_an_admin_creates_a_liaison_who_must_choose_a_password_at_first_sign_in(app, admin):
    with app.app_context():
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "zwfw"))
    typed = {"username": "lian2", "display_name": "联络员二", "email": "lian2@example.cn", "role": "liaison"}
    refused = post_form(admin, "/auth/users/new", typed)  # a liaison without a unit
    assert refused.status_code == 400
    assert form_values(refused.get_data(as_text=True))["display_name"] == "联络员二"  # kept
    created = post_form(admin, "/auth/users/new", dict(typed, unit_id=unit_id))
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    password = temporary_password(created.get_data(as_text=True))
    listing = admin.get("/auth/users").get_data(as_text=True)
    assert "lian2" in listing and "[zwfw]" in listing and password not in listing  # shown once

    client, response = sign_in(app, "lian2", password)
    assert response.status_code == 302
    assert client.get("/unit/").headers["Location"].endswith("/auth/password")
    new = "a-new-long-password"
    changed = post_form(
        client,
        "/auth/password",
        {"current_password": password, "new_password": new, "new_password_again": new},
    )
    assert changed.status_code == 302 and client.get("/unit/").status_code == 200
    assert "从未" not in admin.get("/auth/users").get_data(as_text=True).split("lian2")[1].split("</tr>")[0]


def test_a_disabled_account_is_signed_out_at_once_and_can_be_enabled_again(app, admin, users):
    member, response = sign_in(app, "member", PASSWORD)
    assert member.get("/member/program/").status_code == 200
    assert (
        post_form(admin, f"/auth/users/{users['member']}/active", {"active": "0"}, get_url="/auth/users").status_code
        == 303
    )
    assert member.get("/member/program/").status_code == 302  # its session has ended
    assert sign_in(app, "member", PASSWORD)[1].status_code != 302
    post_form(admin, f"/auth/users/{users['member']}/active", {"active": "1"}, get_url="/auth/users")
    assert sign_in(app, "member", PASSWORD)[1].status_code == 302
    # An admin cannot lock themselves out.
    post_form(admin, f"/auth/users/{users['admin']}/active", {"active": "0"}, get_url="/auth/users")
    with app.app_context():
        assert db.session.get(User, users["admin"]).is_active_account


def test_an_admin_edits_an_account_and_resets_its_password(app, admin, users):
    staff, _response = sign_in(app, "staff", PASSWORD)
    url = f"/auth/users/{users['staff']}"
    saved = post_form(
        admin, url, {"username": "staff", "display_name": "王科长", "email": "", "role": "admin", "unit_id": 0}
    )
    assert saved.status_code == 303
    assert staff.get("/staff/").status_code == 302  # a changed role ends the sessions
    reset = post_form(admin, f"{url}/password", {}, get_url=url)
    password = temporary_password(reset.get_data(as_text=True))
    assert sign_in(app, "staff", PASSWORD)[1].status_code != 302  # the old password is gone
    client, response = sign_in(app, "staff", password)
    assert response.status_code == 302
    assert client.get("/staff/").headers["Location"].endswith("/auth/password")
    with app.app_context():
        user = db.session.get(User, users["staff"])
        assert (user.display_name, user.role.value, user.must_change_password) == ("王科长", "admin", True)
