"""The staff queue: newest first, filters, pagination."""

import re
from datetime import timedelta

import pytest

from intake.extensions import db
from intake.feedback.models import ItemStatus, Source
from intake.timeutil import utcnow
from tests.factories import create_item
from tests.helpers import post_form


def codes_on(html: str) -> list[str]:
    return re.findall(
        r'<tr data-item-id="\d+"[^>]*>\s*<td>.*?</td>\s*<td><a href="[^"]+" class="open">([^<]+)</a>', html, re.S
    )


@pytest.fixture
def signed_in(app, client, auth, users):
    assert auth.login("staff").status_code == 302
    return client


@pytest.fixture
def items(app, ref):
    """Five items with different unit, category, source and status, one minute apart."""
    rows = [
        # subject, unit, category, source, status
        ("甲：窗口态度", "zwfw", "taidu", Source.web, ItemStatus.pending),
        ("乙：审批拖延", "gk", "shenpi", Source.visit, ItemStatus.accepted),
        ("丙：跑了多次", "zwfw", "paoduoci", Source.visit, ItemStatus.pending),
        ("丁：已办结", "zwfw", "taidu", Source.web, ItemStatus.closed),
        ("戊：座谈会意见", None, "jianyi", Source.symposium, ItemStatus.routed),
    ]
    # A month before whatever day the suite runs: older than anything submitted during a test.
    start = (utcnow() - timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    codes = {}
    with app.app_context():
        for n, (subject, unit, category, source, status) in enumerate(rows):
            item = create_item(
                subject=subject,
                body=subject + "，具体情况见正文。",
                source=source,
                unit_id=ref.unit[unit] if unit else None,
                category_id=ref.category[category],
            )
            item.received_at = start + timedelta(minutes=n)
            item.status = status
            codes[subject[0]] = item.tracking_code
        db.session.commit()
    return codes


def test_default_queue_shows_open_items_newest_first(signed_in, items):
    html = signed_in.get("/staff/").get_data(as_text=True)
    assert codes_on(html) == [items["戊"], items["丙"], items["乙"], items["甲"]]  # 丁 is closed
    assert "(4)" in html


def test_a_new_submission_appears_at_the_top(app, signed_in, items):
    public = app.test_client()
    response = post_form(
        public,
        "/jiandu/",
        {
            "kind": "complaint",
            "unit_id": "0",
            "category_id": "0",
            "body": "刚刚提交的新反映：大厅空调坏了一个月没人修。",
        },
    )
    assert response.status_code == 303
    html = signed_in.get("/staff/").get_data(as_text=True)
    top = codes_on(html)[0]
    assert top not in items.values()
    assert "刚刚提交的新反映" in html.split(top, 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=all", "戊丁丙乙甲"),
        ("status=pending", "丙甲"),
        ("status=closed", "丁"),
        ("unit={zwfw}", "丙甲"),
        ("unit={zwfw}&status=all", "丁丙甲"),
        ("category={taidu}&status=all", "丁甲"),
        ("source=visit", "丙乙"),
        ("source=visit&unit={zwfw}", "丙"),
        ("source=web&status=all&unit={zwfw}&category={taidu}", "丁甲"),
        ("source=symposium&status=pending", ""),
        ("status=bogus", "戊丙乙甲"),  # an unknown value falls back to the open items
    ],
)
def test_filters_work_alone_and_together(signed_in, items, ref, query, expected):
    url = "/staff/?" + query.format(zwfw=ref.unit["zwfw"], taidu=ref.category["taidu"])
    response = signed_in.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert codes_on(html) == [items[c] for c in expected]
    if not expected:
        assert "没有符合条件的事项。" in html


def test_filter_form_shows_the_chosen_filters(signed_in, items, ref):
    from tests.helpers import form_values

    html = signed_in.get(f"/staff/?status=pending&unit={ref.unit['gk']}&source=visit").get_data(as_text=True)
    shown = form_values(html)
    assert (shown["status"], shown["unit"], shown["source"]) == ("pending", str(ref.unit["gk"]), "visit")


def test_non_numeric_unit_filter_is_a_bad_request(signed_in, items):
    assert signed_in.get("/staff/?unit=abc").status_code == 400


def test_keyset_pagination_keeps_the_filters_and_goes_back(app, signed_in, items):
    app.config["QUEUE_PAGE_SIZE"] = 2
    first = signed_in.get("/staff/?status=all").get_data(as_text=True)
    assert codes_on(first) == [items["戊"], items["丁"]]
    assert 'rel="prev"' not in first
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "status=all" in next_link and "after=" in next_link

    second = signed_in.get(next_link).get_data(as_text=True)
    assert codes_on(second) == [items["丙"], items["乙"]]
    assert 'rel="prev"' in second and 'rel="next"' in second

    last_link = re.search(r'<a rel="next" href="([^"]+)"', second).group(1).replace("&amp;", "&")
    last = signed_in.get(last_link).get_data(as_text=True)
    assert codes_on(last) == [items["甲"]]
    assert 'rel="next"' not in last

    prev_link = re.search(r'<a rel="prev" href="([^"]+)"', last).group(1).replace("&amp;", "&")
    assert codes_on(signed_in.get(prev_link).get_data(as_text=True)) == [items["丙"], items["乙"]]


def test_a_new_arrival_does_not_shift_the_next_page(app, signed_in, items):
    app.config["QUEUE_PAGE_SIZE"] = 2
    first = signed_in.get("/staff/?status=all").get_data(as_text=True)
    next_link = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    with app.app_context():
        create_item(subject="新到的反映")
        db.session.commit()
    assert codes_on(signed_in.get(next_link).get_data(as_text=True)) == [items["丙"], items["乙"]]


def test_a_broken_cursor_shows_the_first_page(app, signed_in, items):
    app.config["QUEUE_PAGE_SIZE"] = 2
    assert codes_on(signed_in.get("/staff/?after=garbage").get_data(as_text=True)) == [items["戊"], items["丙"]]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_long_subject_is_shortened_in_the_queue_and_whole_on_the_item_page(app, signed_in, ref):
    subject = "关于城关镇道路照明长期无人维护的反映" * 40  # 760 characters, as a mail may bring
    with app.app_context():
        item = create_item(subject=subject, body="路灯坏了。")
        db.session.commit()
        item_id = item.id
    queue = signed_in.get("/staff/").get_data(as_text=True)
    assert f'class="subject-line" title="{subject}">{subject}</a>' in queue  # clamped by CSS
    page = signed_in.get(f"/staff/items/{item_id}").get_data(as_text=True)
    assert f'<h1 class="long-title">{subject}</h1>' in page
