"""Who may use triage's routes: every role (and nobody signed in) against every route, and the
headers of the sandboxed mail body."""

import pytest

from intake.extensions import db
from tests.factories import create_item

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

# route, method, who may
ROUTES = [
    ("/staff/", "GET", {"admin", "staff"}),
    ("/staff/views", "POST", {"admin", "staff"}),
    ("/staff/views/{view}/delete", "POST", {"staff"}),  # staff's own view; to an admin: 404
    ("/staff/bulk", "POST", {"admin", "staff"}),
    ("/staff/items/{item}", "GET", {"admin", "staff"}),
    ("/staff/items/{item}/suggestion/accept", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/classify", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/assign", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/notes", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/reporter", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/merge", "POST", {"admin", "staff"}),
    ("/staff/items/{item}/reply", "POST", {"admin", "staff"}),
    ("/staff/thread/{entry}/body", "GET", {"admin", "staff"}),
    ("/staff/items/{item}/inline/{inline}", "GET", {"admin", "staff"}),
    ("/staff/attachments/{attachment}", "GET", {"admin", "staff"}),
    ("/staff/admin/rules", "GET", {"admin"}),
    ("/staff/admin/rules", "POST", {"admin"}),
    ("/staff/admin/templates", "GET", {"admin"}),
    ("/staff/admin/templates", "POST", {"admin"}),
]
ROLES = ["anonymous", "liaison", "member", "staff", "admin"]


@pytest.fixture
def objects(app, users):
    from intake.mailbox.models import Direction, ThreadEntry
    from intake.triage.services.saved_views import save_view
    from tests.factories import upload

    with app.app_context():
        photo = upload("photo.png")
        photo.is_inline, photo.content_id = True, "photo@x"
        item = create_item(uploads=[upload(), photo])
        entry = ThreadEntry(
            item_id=item.id, direction=Direction.inbound, text="x", html='<p>x</p><img src="cid:photo@x">'
        )
        db.session.add(entry)
        view = save_view(users["staff"], "v", "q=1")
        db.session.commit()
        return {
            "item": item.id,
            "entry": entry.id,
            "attachment": item.attachments[0].id,
            "inline": item.attachments[1].id,
            "view": view.id,
        }


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_route(app, client, auth, users, objects, role):
    from tests.conftest import csrf_token_from

    if role != "anonymous":
        assert auth.login(role).status_code == 302
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True)) if role == "anonymous" else None
    if token is None:
        page = client.get("/staff/items/%d" % objects["item"]) if role in ("admin", "staff") else client.get("/jiandu/")
        token = csrf_token_from(page.get_data(as_text=True))
    for route, method, allowed in ROUTES:
        url = route.format(**objects)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if role == "admin" and "/views/" in url:
            assert response.status_code == 404  # saved views are per user
        elif role in allowed:
            assert response.status_code not in (302, 401, 403, 404), (role, method, url, response.status_code)
        elif role == "anonymous":
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], (method, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)


def test_the_mail_body_frame_is_locked_down(client, auth, users, objects):
    auth.login("staff")
    response = client.get(f"/staff/thread/{objects['entry']}/body")
    csp = response.headers["Content-Security-Policy"]
    # Pictures from our origin only (the item's inline images), none from anywhere else.
    assert "default-src 'none'" in csp and "img-src 'self' data:;" in csp and "sandbox" in csp
    assert "script-src" not in csp and "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_data(as_text=True)
    assert '<base target="_blank">' in body
    assert f'<img src="/staff/items/{objects["item"]}/inline/{objects["inline"]}?t=' in body
    picture = client.get(f"/staff/items/{objects['item']}/inline/{objects['inline']}")
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.headers["Content-Disposition"] == "inline" and picture.headers["X-Content-Type-Options"] == "nosniff"
