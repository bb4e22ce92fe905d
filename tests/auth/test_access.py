"""Who may open which staff page: every role against every staff route, as a table."""

import pytest

from intake.extensions import db
from tests.conftest import csrf_token_from, make_user
from tests.factories import create_item, upload

ROLES = ["anonymous", "admin", "staff", "member", "liaison"]
ROUTES = [
    ("GET", "/staff/"),
    ("GET", "/staff/items/{item}"),
    ("POST", "/staff/items/{item}/status"),
    ("GET", "/staff/attachments/{attachment}"),
]
EXPECTED = {
    "anonymous": "login",
    "member": 403,
    "liaison": 403,
    "admin": "ok",
    "staff": "ok",
}


@pytest.fixture
def item_with_file(app):
    with app.app_context():
        item = create_item(uploads=[upload("现场照片.png")])
        db.session.commit()
        return {"item": item.id, "attachment": item.attachments[0].id}


@pytest.mark.parametrize("method, route", ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
@pytest.mark.parametrize("role", ROLES)
def test_staff_routes_by_role(app, client, auth, item_with_file, role, method, route):
    if role != "anonymous":
        make_user(app, role, role, unit_code="zwfw" if role == "liaison" else None)
        assert auth.login(role).status_code == 302
    url = route.format(**item_with_file)
    if method == "POST":
        # A valid token from this session, so what answers is the access rule and not CSRF.
        token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token, "status": "accepted"})
    else:
        response = client.get(url)

    expected = EXPECTED[role]
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")
    elif expected == 403:
        html = response.get_data(as_text=True)
        assert response.status_code == 403
        assert "无权访问" in html and "您的账号无权访问此页面。" in html  # the friendly page
        assert "现场照片" not in html and "政务大厅便民窗口" not in html
    else:
        assert response.status_code == (303 if method == "POST" else 200)
        if "attachments" in route:
            assert response.headers["Content-Disposition"].startswith("attachment")
