"""The triage queue on both databases: Chinese search (two-character words too, either script),
the new filters with their counts, saved views, bulk actions, merging duplicates."""

import re
from datetime import datetime, timedelta

import pytest

from intake.extensions import db
from intake.feedback.models import EventKind, FeedbackItem, ItemStatus
from intake.triage.services import saved_views, staff_queue
from tests.factories import PNG_1X1, create_item, upload
from tests.helpers import open_progress, post_form
from tests.triage.test_queue import codes_on


@pytest.fixture
def signed_in(app, client, auth, users):
    assert auth.login("staff").status_code == 302
    return client


@pytest.fixture
def reports(app, users):
    rows = {
        "attitude": ("窗口服务態度差", "办事员態度恶劣，不耐烦。"),  # Traditional 態
        "attitude2": ("大厅排队", "排了两小时，工作人员的服务态度倒是还行。"),
        "fees": ("乱收费", "办证要交100%的加急费，还说是规定_内部。"),
        "praise": ("表扬工科局", "工科局帮企业跑审批，效率高。"),
    }
    ids = {}
    start = datetime(2026, 11, 2, 8, 0)
    with app.app_context():
        for n, (key, (subject, body)) in enumerate(rows.items()):
            item = create_item(
                subject=subject, body=body, uploads=[upload("x.png", PNG_1X1)] if key == "praise" else []
            )
            item.received_at = start + timedelta(hours=n)
            ids[key] = item.id
        db.session.get(FeedbackItem, ids["fees"]).assignee_id = users["staff"]
        db.session.commit()
    return ids


def found(app, query: str, ids: dict) -> set[str]:
    with app.app_context():
        page = staff_queue.queue_page(staff_queue.QueueFilter(q=query, status="all"), per_page=50)
    by_id = {v: k for k, v in ids.items()}
    return {by_id[i.id] for i in page.items}


def test_chinese_search_on_both_databases(app, reports):
    assert found(app, "态度", reports) == {"attitude", "attitude2"}  # two characters, both scripts
    assert found(app, "態度", reports) == {"attitude", "attitude2"}
    assert found(app, "服务态度", reports) == {"attitude2"}  # trigram path
    assert found(app, "工科局帮企业", reports) == {"praise"}
    assert found(app, "100%", reports) == {"fees"}  # LIKE wildcards are literal
    assert found(app, "规定_内", reports) == {"fees"}
    assert found(app, "%", reports) == {"fees"}
    assert found(app, "不存在的词语", reports) == set()
    # Edits are searchable at once (triggers on SQLite, the index itself on PostgreSQL).
    with app.app_context():
        db.session.get(FeedbackItem, reports["praise"]).body = "改过的正文：窗口脸色难看"
        db.session.commit()
    assert found(app, "脸色难看", reports) == {"praise"}
    assert found(app, "工科局帮企业", reports) == set()


def test_filters_counts_and_saved_views(app, signed_in, reports, users):
    html = signed_in.get("/staff/?q=态度").get_data(as_text=True)
    assert len(codes_on(html)) == 2 and 'id="queue-total">(2)' in html
    assert re.search(r"待受理 \(2\)</option>", html)  # count per status within the filter
    assert len(codes_on(signed_in.get("/staff/?attachment=1").get_data(as_text=True))) == 1
    assert len(codes_on(signed_in.get("/staff/?assignee=me").get_data(as_text=True))) == 1
    assert len(codes_on(signed_in.get("/staff/?assignee=none").get_data(as_text=True))) == 3
    assert len(codes_on(signed_in.get("/staff/?date_from=2026-11-02&date_to=2026-11-02").get_data(as_text=True))) == 4
    assert codes_on(signed_in.get("/staff/?date_from=2026-11-03").get_data(as_text=True)) == []
    assert codes_on(signed_in.get("/staff/?overdue=1").get_data(as_text=True)) == []

    response = post_form(signed_in, "/staff/views", {"name": "态度问题", "query": "q=态度"}, get_url="/staff/")
    assert response.status_code == 303
    html = signed_in.get("/staff/").get_data(as_text=True)
    assert ">态度问题</a>" in html
    with app.app_context():
        assert [v.name for v in saved_views.saved_views(users["staff"])] == ["态度问题"]
        assert saved_views.saved_views(users["admin"]) == []  # per user


def test_bulk_assign_set_unit_invalid_and_route(app, signed_in, reports, users, ref):
    ids = [reports["attitude"], reports["attitude2"]]
    data = {"action": "assign", "assignee_id": str(users["admin"]), "item_id": [str(i) for i in ids]}
    assert post_form(signed_in, "/staff/bulk", data, get_url="/staff/").status_code == 303
    post_form(
        signed_in,
        "/staff/bulk",
        {"action": "unit", "unit_id": str(ref.unit["zwfw"]), "item_id": [str(i) for i in ids]},
        get_url="/staff/",
    )
    post_form(signed_in, "/staff/bulk", {"action": "invalid", "item_id": [str(reports["fees"])]}, get_url="/staff/")
    response = post_form(
        signed_in,
        "/staff/bulk",
        {
            "action": "route",
            "unit_id": str(ref.unit["zwfw"]),
            "problem": "窗口服务态度差",
            "requirement": "加强窗口人员服务培训",
            "item_id": [str(i) for i in ids],
        },
        get_url="/staff/",
    )
    assert response.status_code == 303
    with app.app_context():
        items = [db.session.get(FeedbackItem, i) for i in ids]
        assert {i.assignee.username for i in items} == {"admin"}
        assert {i.unit_id for i in items} == {ref.unit["zwfw"]}
        assert {i.status for i in items} == {ItemStatus.routed}
        assert all(EventKind.assigned in [e.kind for e in i.events] for i in items)
        from intake.rectification.services.routing import tasks_of_item

        assert len({t.id for i in items for t in tasks_of_item(i.id)}) == 1  # one task for both
        assert db.session.get(FeedbackItem, reports["fees"]).status is ItemStatus.invalid
    # An invalid item cannot be marked invalid again: skipped and named, nothing breaks.
    again = post_form(
        signed_in, "/staff/bulk", {"action": "invalid", "item_id": [str(reports["fees"])]}, get_url="/staff/"
    )
    assert "未更改" in signed_in.get(again.headers["Location"]).get_data(as_text=True)


def test_merge_duplicates_and_the_public_page_of_a_merged_report(app, client, signed_in, users):
    with app.app_context():
        from intake.triage.suggestions import apply_suggestions

        texts = [
            "便民窗口中午十二点就关门，下午两点半才开，上班族根本办不了事。",
            "便民窗口中午12点就关门，下午两点半才开，上班族根本办不了事情！",
            "便民窗口中午十二点就關門，下午兩點半才開，上班族根本辦不了事。",
        ]
        items = [create_item(subject="窗口午休不开门", body=t) for t in texts]
        other = create_item(subject="路灯坏了", body="县城东门路灯坏了一个月。")
        db.session.commit()
        for i in items + [other]:
            apply_suggestions(i.id)
        db.session.commit()
        primary, dup1, dup2 = (i.id for i in items)
        codes = {i.id: (i.tracking_code, i.lookup_secret) for i in items}
    html = signed_in.get(f"/staff/items/{primary}").get_data(as_text=True)
    related = re.search(r'<ul class="related">(.*?)</ul>', html, re.S).group(1)
    assert codes[dup1][0] in related and codes[dup2][0] in related and "路灯" not in related
    response = post_form(
        signed_in,
        f"/staff/items/{primary}/merge",
        {"duplicate_id": [str(dup1), str(dup2)]},
        get_url=f"/staff/items/{primary}",
    )
    assert response.status_code == 303
    with app.app_context():
        for d in (dup1, dup2):
            item = db.session.get(FeedbackItem, d)
            assert item.status is ItemStatus.duplicate and item.duplicate_of_id == primary
            assert item.tracking_code == codes[d][0]  # the reporter keeps their code
        p = db.session.get(FeedbackItem, primary)
        assert [e.kind for e in p.events].count(EventKind.merged) == 2
        from intake.feedback.services import change_status

        change_status(p, ItemStatus.accepted, actor_id=users["staff"])
        db.session.commit()
    code, secret = codes[dup1]
    html = open_progress(client, code, secret).get_data(as_text=True)
    assert codes[primary][0] in html and 'id="primary-status">已受理<' in html


@pytest.mark.parametrize("rare_limit", [20_000, -1], ids=["rare-words", "frequent-words"])
def test_one_and_two_character_search_both_ways(app, reports, monkeypatch, rare_limit):
    """PostgreSQL answers short queries from the grams index (rare words) or by LIKE along the
    keyset (frequent ones); both give the same rows. SQLite always uses LIKE."""
    from intake.triage import search

    monkeypatch.setattr(search, "RARE_GRAM_ROWS", rare_limit)
    assert found(app, "态度", reports) == {"attitude", "attitude2"}
    assert found(app, "態", reports) == {"attitude", "attitude2"}  # one character, either script
    assert found(app, "效率", reports) == {"praise"}
    assert found(app, "腐败", reports) == set()
    assert found(app, "%", reports) == {"fees"}
    with app.app_context():
        db.session.get(FeedbackItem, reports["fees"]).body = "收费 OK 吗"
        db.session.commit()
    assert found(app, "OK", reports) == {"fees"}
    assert found(app, "ok", reports) == {"fees"}  # letters: case-insensitive
    assert found(app, "收费", reports) == {"fees"}  # edits are found at once
    assert found(app, "100", reports) == set()
