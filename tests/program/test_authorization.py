"""Who may open the program's pages, as a table: every role × every route. Staff pages need an
admin or staff account; the lottery's public record needs none."""

import pytest

from intake.extensions import db
from intake.program import services
from tests.conftest import AuthActions, csrf_token_from

ROLES = ["public", "staff", "member", "liaison", "admin"]
ROUTES = [
    ("GET", "/staff/program/", "staff"),
    ("POST", "/staff/program/", "staff"),
    ("GET", "/staff/program/2027", "staff"),
    ("POST", "/staff/program/2027/stages/{stage}", "staff"),
    ("POST", "/staff/program/2027/stages/{stage}/done", "staff"),
    ("POST", "/staff/program/2027/commit", "staff"),
    ("POST", "/staff/program/2027/draw", "staff"),
    ("GET", "/program/", "public"),
    ("GET", "/program/2027", "public"),
    ("GET", "/program/2027/draw.json", "public"),
]
ALLOWED = {200, 303, 400}


def expected(role: str, area: str):
    if area == "public":
        return {200}
    if role == "public":
        return {302}
    return ALLOWED if role in ("staff", "admin") else {403}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(app, users, committed_2027, role):
    with app.app_context():
        stage = services.get_cycle(2027).stages[0].id
        db.session.commit()
    client = app.test_client()
    if role != "public":
        assert AuthActions(client).login(role).status_code == 302
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    failures = []
    for method, template, area in ROUTES:
        url = template.format(stage=stage)
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        if response.status_code not in expected(role, area):
            failures.append(f"{role} {method} {url}: {response.status_code}")
        if response.status_code == 302:
            assert "/auth/login" in response.headers["Location"]
    assert not failures, failures
