"""Recording a visit as the outbox sends it: idempotent by the phone's UUID (200 the same, 409 a
different version kept as a conflict), photos without EXIF, bad input refused with the form kept,
a new sign-in in between losing nothing."""

import io
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from intake.extensions import db
from intake.feedback.models import FeedbackItem, Source
from intake.storage import path_for
from intake.visits.models import Visit, VisitConflict
from tests.visits.world import form_token, gps_jpeg, send, visit_form, world  # noqa: F401

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_same_uuid_twice_stores_once_and_a_different_version_is_a_conflict(app, client, auth, world):
    auth.login("member")
    data = visit_form(world)
    first = send(client, data)
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json()["status"] == "created"
    again = send(client, data)
    assert again.status_code == 200 and again.get_json()["status"] == "same"
    assert _count(app, Visit) == 1
    assert _count(app, FeedbackItem) == 1

    changed = dict(data, place="政务服务大厅3号窗口")
    for _ in range(2):  # the conflicting version sent twice is one conflict
        conflict = send(client, changed)
        assert conflict.status_code == 409 and conflict.get_json()["status"] == "conflict"
    assert _count(app, Visit) == 1 and _count(app, VisitConflict) == 1
    with app.app_context():
        visit = db.session.scalar(select(Visit))
        assert visit.place == "政务服务大厅12号窗口"  # the first version is kept
        assert visit.conflicts[0].payload["place"] == "政务服务大厅3号窗口"
        item = db.session.get(FeedbackItem, visit.findings[0].item_id)
        assert item.source is Source.visit and item.unit_id == world.units["zwfw"]
        assert item.reporter.user_id == world.users["member"]

    # Staff see the conflict and record the second version as a visit of its own.
    auth.logout()
    auth.login("staff")
    assert "政务服务大厅3号窗口" in client.get("/staff/visits/conflicts/1").get_data(as_text=True)
    token = csrf_token_from_page(client, "/staff/visits/conflicts/1")
    resolved = client.post("/staff/visits/conflicts/1", data={"csrf_token": token, "resolution": "added_as_new"})
    assert resolved.status_code == 303
    assert _count(app, Visit) == 2
    again = client.post("/staff/visits/conflicts/1", data={"csrf_token": token, "resolution": "kept_first"})
    assert again.status_code == 400


def csrf_token_from_page(client, url):
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get(url).get_data(as_text=True))


@sqlite_only
def test_photos_lose_their_exif_on_the_server(app, client, auth, world):
    auth.login("member")
    original = gps_jpeg()
    assert b"PhoneModel X" in original
    response = send(client, visit_form(world), photos=[original])
    assert response.status_code == 201
    with app.app_context():
        photo = db.session.scalar(select(Visit)).photos[0]
        stored = path_for(photo.stored_name).read_bytes()
    assert b"PhoneModel X" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and len(image.getexif()) == 0 and image.size == (1200, 900)
    # The member reads it back on the visit's page.
    page = client.get(response.get_json()["url"]).get_data(as_text=True)
    assert f"/photos/{photo.id}" in page
    assert client.get(f"{response.get_json()['url']}/photos/{photo.id}").data == stored


@sqlite_only
def test_bad_input_is_refused_with_the_form_kept(app, client, auth, world):
    auth.login("member")
    bad = visit_form(world, place="  ", **{"answer-wait_minutes": "forty", "answer-attitude": "9"})
    answer = send(client, bad)
    assert answer.status_code == 400
    assert set(answer.get_json()["errors"]) == {"place", "answer-wait_minutes", "answer-attitude"}
    # The plain form (no script): 400, every typed value still in the page.
    page = send(client, bad, as_json=False)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "排队的群众说上周已经来过一次。" in html and 'value="forty"' in html and 'value="9"' in html
    assert 'class="errors"' in html
    for changes in ({"uuid": "not-a-uuid"}, {"unit_id": "999999"}, {"cycle_id": "x"}, {"visited_at": "yesterday"}):
        assert send(client, visit_form(world, **changes)).status_code == 400, changes
    not_a_photo = send(client, visit_form(world), photos=[b"MZ\x90\x00 not an image"])
    assert not_a_photo.status_code == 400 and "photos" in not_a_photo.get_json()["errors"]
    assert _count(app, Visit) == 0
    # Without script the form is a plain POST: stored, and on to the visit's page.
    stored = send(client, visit_form(world), as_json=False)
    assert stored.status_code == 303 and "/member/visits/" in stored.headers["Location"]
    assert _count(app, Visit) == 1


@sqlite_only
def test_a_new_sign_in_in_between_loses_nothing(app, client, auth, world):
    """The phone's session expired (its cookies are gone): the outbox's send goes to the sign-in
    page and stores nothing; after signing in again the old token is refused, and a fresh one
    from /member/visits/session works."""
    from tests.conftest import AuthActions

    auth.login("member")
    old_token = form_token(client)
    data = visit_form(world)
    phone = app.test_client()  # the same phone after the session expired: no cookie left
    headers = {"X-CSRFToken": old_token, "Accept": "application/json"}
    signed_out = phone.post("/member/visits/new", data=data, headers=headers)
    # Refused without a JSON answer: the outbox keeps the visit (only JSON answers remove it).
    assert signed_out.status_code == 400 and not signed_out.is_json and _count(app, Visit) == 0
    assert phone.get("/member/visits/session").status_code == 302  # the outbox's check
    AuthActions(phone).login("member")
    stale = phone.post("/member/visits/new", data=data, headers=headers)
    assert stale.status_code == 400 and _count(app, Visit) == 0
    assert send(phone, data).status_code == 201
    assert send(phone, data).status_code == 200
    assert _count(app, Visit) == 1


def test_a_send_racing_another_with_the_same_uuid_answers_same(app, client, auth, world, monkeypatch):
    """Two sends of one visit at once: the second's insert hits the unique UUID, its savepoint is
    rolled back and it answers like a resend. (The race is made by hiding the first row from the
    second's look-up once.)"""
    from intake.auth.models import User
    from intake.visits import services

    auth.login("member")
    data = visit_form(world)
    assert send(client, data).status_code == 201
    real_lookup, calls = services.visit_by_uuid, []

    def first_blind(uuid):
        calls.append(uuid)
        return None if len(calls) == 1 else real_lookup(uuid)

    monkeypatch.setattr(services, "visit_by_uuid", first_blind)
    with app.app_context():
        member = db.session.get(User, world.users["member"])
        visit_input = services.VisitInput(
            uuid=data["uuid"],
            cycle_id=world.cycle,
            unit_id=world.units["zwfw"],
            place=data["place"],
            visited_at=datetime.strptime(data["visited_at"], "%Y-%m-%dT%H:%M"),
            incognito=True,
            answers={k[len("answer-") :]: v for k, v in data.items() if k.startswith("answer-")},
            notes=data["notes"],
            findings=data["findings"],
        )
        recorded = services.record_visit(visit_input, member)
        db.session.commit()
        assert recorded.status == "same" and len(calls) == 2
    assert _count(app, Visit) == 1 and _count(app, FeedbackItem) == 1
