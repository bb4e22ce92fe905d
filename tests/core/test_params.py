"""The edge where bad input stops (intake/core/params.py): what each refusal looks like to the
person, in their language. tests/test_hostile_input.py checks that nothing anywhere gives a 500;
these pin down the answers themselves."""

import pytest

from intake.triage.services.staff_queue import Cursor
from tests.conftest import csrf_token_from
from tests.helpers import form_values

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_a_nul_typed_into_a_form_is_dropped_and_the_rest_kept(app, client, users):
    """PostgreSQL refuses NUL in text: the login name and a report's text came back as a 500."""
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"csrf_token": token, "username": "sta\x00ff", "password": "wrong"})
    assert response.status_code == 401  # a wrong password, not a server error
    assert form_values(response.get_data(as_text=True))["username"] == "staff"

    body = "政务大厅便民窗口\x00多次让我白跑一趟，工作人员说系统故障。"
    token = csrf_token_from(client.get("/jiandu/").get_data(as_text=True))
    response = client.post("/jiandu/", data={"csrf_token": token, "kind": "complaint", "body": body, "anonymous": "y"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    from intake.extensions import db
    from intake.feedback.models import FeedbackItem

    with app.app_context():
        assert db.session.scalars(db.select(FeedbackItem.body)).one() == body.replace("\x00", "")


def test_a_nul_in_an_address_is_refused_in_the_users_language(client):
    response = client.get("/jiandu/track?code=JD-2026-000001%00&secret=X")
    assert response.status_code == 400
    assert "网址中含有无法使用的字符" in response.get_data(as_text=True)
    response = client.get("/jiandu/track/JD%00?lang=en")
    assert response.status_code == 400
    assert "The address contains characters that cannot be used" in response.get_data(as_text=True)


@pytest.mark.parametrize("item_id", [2**31, 2**63])
def test_an_id_no_column_holds_is_not_found(client, auth, users, item_id):
    """2^31 fails in PostgreSQL's INTEGER, 2^63 in SQLite's."""
    auth.login("staff")
    response = client.get(f"/staff/items/{item_id}")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


@sqlite_only
@pytest.mark.parametrize(
    "query, name",
    [
        (f"unit={2**63}", "unit"),
        (f"category={2**31}", "category"),
        (f"assignee={2**63}", "assignee"),
        ("assignee=-1", "assignee"),
        ("date_to=9999-12-31", "date_to"),
        ("date_from=0001-01-01", "date_from"),
        ("date_from=2026-02-30", "date_from"),
    ],
)
def test_the_queue_refuses_a_filter_it_cannot_take(client, auth, users, query, name):
    auth.login("staff")
    response = client.get(f"/staff/?{query}")
    assert response.status_code == 400
    assert f"“{name}”的值无法使用" in response.get_data(as_text=True)


@sqlite_only
@pytest.mark.parametrize(
    "url",
    [
        f"/staff/rectification/?unit={2**63}",
        "/staff/rectification/export.xlsx?date_to=9999-12-31",
        f"/staff/rectification/figures?year={2**63}",
        "/staff/program/plans?year=99999",
    ],
)
def test_the_ledger_and_the_program_refuse_what_they_cannot_take(client, auth, users, url):
    auth.login("staff")
    assert client.get(url).status_code == 400


@sqlite_only
def test_a_public_page_refuses_a_year_out_of_range_in_english_when_asked(client):
    response = client.get(f"/jiandu/units/zwfw?year={2**63}&lang=en")
    assert response.status_code == 400
    assert "The value of “year” cannot be used." in response.get_data(as_text=True)


@sqlite_only
def test_a_date_past_the_calendar_is_a_field_error_and_the_form_is_kept(app, client, auth, users):
    auth.login("staff")
    token = csrf_token_from(client.get("/staff/program/").get_data(as_text=True))
    response = client.post("/staff/program/", data={"csrf_token": token, "year": "2027", "starts_on": "9999-12-31"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "请输入 1900-01-01 至 2099-12-31 之间的日期" in page
    assert form_values(page)["year"] == "2027"


def test_a_queue_cursor_with_an_id_no_column_holds_is_ignored():
    assert Cursor.decode(f"2026-12-01T08:00:00+08:00_{2**31}") is None
    assert Cursor.decode("2026-12-01T08:00:00+08:00_" + "9" * 5000) is None
    assert Cursor.decode("2026-12-01T08:00:00+08:00_7").id == 7


def test_form_text_loses_nul_and_keeps_a_mark_where_a_lone_surrogate_was():
    from intake.core.params import storable_text

    assert storable_text("政务\x00大厅\ud800") == "政务大厅\ufffd"
    assert storable_text("plain") == "plain"


@sqlite_only
def test_a_host_header_werkzeug_refuses_gets_a_plain_400_not_a_broken_page(client):
    """The error page's links cannot be built without a usable host: that was a 500."""
    response = client.get("/", headers={"Host": "a" * 300})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
