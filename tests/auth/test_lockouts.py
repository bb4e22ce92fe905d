"""Wrong passwords are limited per account across addresses and per address across accounts;
the failures are logged without the address; admins see and clear them."""

import logging

import pytest

from intake import ratelimit
from tests.conftest import PASSWORD, AuthActions, make_user
from tests.helpers import post_form


@pytest.fixture
def accounts(app):
    app.config.update(LOGIN_ACCOUNT_FAILURES=3, LOGIN_CLIENT_FAILURES=5)
    return {name: make_user(app, name, "staff") for name in ("zhouli", "ouyangfang", "sima")}


def _attempt(client, username, password, address):
    return post_form(
        client,
        "/auth/login",
        {"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_one_account_is_locked_whatever_address_the_guesses_come_from(app, client, accounts):
    for n in range(3):
        assert _attempt(client, "zhouli", "wrong", f"203.0.113.{n}").status_code == 401
    refused = _attempt(client, "ZhouLi ", PASSWORD, "198.51.100.1")  # right password, new address
    assert refused.status_code == 429
    assert "失败次数过多" in refused.get_data(as_text=True)
    # Other accounts are not affected.
    assert _attempt(client, "ouyangfang", PASSWORD, "203.0.113.1").status_code == 302


def test_one_address_is_stopped_guessing_across_accounts(app, accounts):
    client = app.test_client()
    for n in range(5):
        name = ("zhouli", "ouyangfang", "sima")[n % 3]
        assert _attempt(client, name, f"wrong{n}", "203.0.113.50").status_code == 401
    assert _attempt(client, "sima", PASSWORD, "203.0.113.50").status_code == 429
    # The same account from another address still signs in (2 failures < 3 per account).
    assert _attempt(app.test_client(), "sima", PASSWORD, "198.51.100.9").status_code == 302


def test_failures_are_logged_without_the_address(app, client, accounts, caplog):
    with caplog.at_level(logging.WARNING, logger="intake.auth.routes"):
        _attempt(client, "zhouli", "wrong", "203.0.113.77")
    lines = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert len(lines) == 1 and "'zhouli'" in lines[0]
    assert "203.0.113.77" not in caplog.text


def test_admin_sees_and_clears_a_lockout(app, client, accounts):
    make_user(app, "admin", "admin")
    for _ in range(3):
        _attempt(app.test_client(), "zhouli", "wrong", "203.0.113.5")
    AuthActions(client).login("admin")
    page = client.get("/auth/lockouts").get_data(as_text=True)
    assert "zhouli" in page and "已锁定" in page
    assert "203.0.113.5" not in page
    with app.test_request_context():
        assert ratelimit.client_key("203.0.113.5") in page

    cleared = post_form(client, "/auth/lockouts/clear", {"kind": "account", "who": "zhouli"}, "/auth/lockouts")
    assert cleared.status_code == 303
    assert _attempt(app.test_client(), "zhouli", PASSWORD, "203.0.113.5").status_code == 302
    bad = post_form(client, "/auth/lockouts/clear", {"kind": "nonsense", "who": "x"}, "/auth/lockouts")
    assert bad.status_code == 303  # refused with a message, nothing cleared, no 500
