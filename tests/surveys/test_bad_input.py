"""Bad values on every questionnaire form are a 400 (or a 404 for what does not exist), never a
500: out-of-range years, unknown kinds and rules, duplicate names, codes and numbers of any size."""

import pytest

from tests.conftest import csrf_token_from

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEW = {"year": "2026", "unit_id": "0", "opens_at": "2026-01-01T00:00", "closes_at": "2026-02-01T00:00"}


def test_bad_values_are_400_not_500(app, client, auth, users, survey):
    auth.login("staff")
    token = csrf_token_from(client.get("/staff/surveys/").get_data(as_text=True))
    edit = f"/staff/surveys/{survey.id}"
    posts = [
        ("/staff/surveys/", {"year": "abc", "unit_id": "x", "opens_at": "garbage", "closes_at": ""}),
        ("/staff/surveys/", {**NEW, "opens_at": "0001-01-01T00:00", "closes_at": "9999-12-31T23:59"}),
        ("/staff/surveys/", {**NEW, "unit_id": "99999"}),
        (edit, {"title": "x", "opens_at": "0001-01-01T00:00", "closes_at": "0001-01-02T00:00"}),
        (f"{edit}/questions", {"label": "x", "kind": "bogus"}),
        (f"{edit}/questions", {"label": "x", "kind": "single", "choices": ""}),
        (f"{edit}/questions", {"label": "x", "kind": "single", "choices": "a|b\na|c"}),
        (f"{edit}/questions", {"label": "x", "kind": "text", "show_if": "nonsense=1"}),
        (f"{edit}/questions", {"label": "x", "kind": "text", "name": "1bad"}),
        (f"{edit}/questions", {"label": "x", "kind": "text", "name": "satisfaction"}),
        (f"{edit}/codes", {"count": "0"}),
        (f"{edit}/codes", {"count": "abc"}),
        (
            f"/q/{survey.token}",
            {"q_satisfaction": ["satisfied", "x"], "q_trips": "9" * 40, "q_attitude": "0", "code": "x" * 100},
        ),
        (f"/q/{survey.token}", {"q_trips": "-1,5", "q_waited": ""}),
    ]
    wrong = [
        (url, r.status_code)
        for url, data in posts
        if (r := client.post(url, data={"csrf_token": token, **data})).status_code != 400
    ]
    assert wrong == []
    assert client.get(f"{edit}/results?date_from=2027-13-45").status_code == 400
    assert client.get(f"{edit}/results?search=%25_%25_").status_code == 200
    assert client.get(f"{edit}/questions/999").status_code == 404
    assert client.get("/q/" + "a" * 200).status_code == 404
