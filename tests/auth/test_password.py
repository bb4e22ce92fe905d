"""Changing one's own password, and the operators' set-password: both end the other sessions."""

import pytest

from intake.auth.models import User
from intake.extensions import db
from tests.conftest import PASSWORD, AuthActions, make_user
from tests.helpers import form_values, post_form

NEW = "a-new-and-longer-secret"


@pytest.fixture
def staff(app):
    return make_user(app, "zhouli", "staff")


def _change(client, current=PASSWORD, new=NEW, again=NEW):
    return post_form(
        client,
        "/auth/password",
        {"current_password": current, "new_password": new, "new_password_again": again},
    )


def test_change_own_password_ends_the_other_sessions(app, client, auth, staff):
    auth.login("zhouli")
    other = app.test_client()
    AuthActions(other).login("zhouli")
    assert other.get("/staff/").status_code == 200

    response = _change(client)

    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
    assert "密码已修改" in client.get("/staff/").get_data(as_text=True)  # this session carries on
    assert other.get("/staff/").headers["Location"].startswith("/auth/login")
    auth.logout()
    assert auth.login("zhouli").status_code == 401
    assert auth.login("zhouli", NEW).status_code == 302


@pytest.mark.parametrize(
    "current, new, again, message",
    [
        ("wrong-password", NEW, NEW, "当前密码不正确。"),
        (PASSWORD, "short", "short", "密码长度须在 8 至 256 个字符之间。"),
        (PASSWORD, NEW, NEW + "x", "两次输入的新密码不一致。"),
        ("", NEW, NEW, "请输入当前密码。"),
    ],
)
def test_refused_change_is_a_400_that_keeps_the_form(app, client, auth, staff, current, new, again, message):
    auth.login("zhouli")
    response = _change(client, current, new, again)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    values = form_values(html)
    assert values["current_password"] == values["new_password"] == values["new_password_again"] == ""
    assert client.get("/staff/").status_code == 200  # still signed in
    with app.app_context():
        assert db.session.get(User, staff).check_password(PASSWORD)


def test_member_and_liaison_can_change_theirs_too(app, client, auth):
    make_user(app, "weiyuan", "member")
    auth.login("weiyuan")
    assert client.get("/auth/password").status_code == 200
    assert _change(client).headers["Location"] == "/member/program/"
