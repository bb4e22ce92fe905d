"""Feedback services on both databases: tracking numbers, the status lifecycle, lookup, anonymity."""

import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from intake import create_app
from intake.extensions import db
from intake.feedback import services
from intake.feedback.models import (
    ALLOWED_TRANSITIONS,
    Event,
    EventKind,
    FeedbackItem,
    ItemStatus,
    Reporter,
    SequenceCounter,
)
from tests.factories import ReporterInputFactory, create_item

# --- tracking codes ----------------------------------------------------------------------


def test_tracking_codes_are_sequential_within_a_year_and_restart_each_year(app_ctx, monkeypatch):
    clock = {"now": datetime(2025, 12, 31, 23, 59)}
    monkeypatch.setattr(services, "utcnow", lambda: clock["now"])

    first = create_item()
    second = create_item()
    clock["now"] = datetime(2026, 1, 1, 0, 1)
    third = create_item()
    db.session.commit()

    assert [(i.year, i.number) for i in (first, second, third)] == [(2025, 1), (2025, 2), (2026, 1)]
    assert [i.tracking_code for i in (first, second, third)] == ["JD-2025-000001", "JD-2025-000002", "JD-2026-000001"]
    counters = {(c.year, c.value) for c in db.session.scalars(select(SequenceCounter))}
    assert counters == {(2025, 2), (2026, 1)}


def test_tracking_prefix_comes_from_the_caller(app_ctx):
    item = create_item(prefix="ZX")
    assert item.tracking_code.startswith(f"ZX-{item.year}-")


def test_lookup_secret_is_readable_off_a_phone(app_ctx):
    secrets = {create_item().lookup_secret for _ in range(5)}
    assert len(secrets) == 5
    for secret in secrets:
        assert len(secret) == services.SECRET_LENGTH
        assert set(secret) <= set(services.SECRET_ALPHABET)
        assert not set(secret) & set("01OIL")


CONCURRENT_SUBMISSIONS = 24


def test_concurrent_submissions_get_distinct_consecutive_numbers(app, backend, database_urls):
    """Many requests at once, each in its own app context and connection: no number twice."""
    # A pool large enough that every thread holds its own connection at the same time.
    busy_app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_urls[backend],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": CONCURRENT_SUBMISSIONS + 2, "max_overflow": 0},
        UPLOAD_DIR=app.config["UPLOAD_DIR"],
    )
    barrier = threading.Barrier(CONCURRENT_SUBMISSIONS)
    codes, errors = [], []
    lock = threading.Lock()

    def submit(n: int) -> None:
        try:
            with busy_app.app_context():
                db.session.connection()  # hold a connection before the race starts
                barrier.wait(timeout=20)
                item = create_item(body=f"并发提交第{n}号：窗口排队两个小时没人管。")
                db.session.commit()
                with lock:
                    codes.append((item.number, item.tracking_code))
        except Exception as exc:  # noqa: BLE001 - reported below with the thread's number
            with lock:
                errors.append((n, repr(exc)))

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(CONCURRENT_SUBMISSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with busy_app.app_context():
        db.engine.dispose()

    assert errors == []
    numbers = sorted(number for number, _code in codes)
    assert numbers == list(range(1, CONCURRENT_SUBMISSIONS + 1))
    assert len({code for _n, code in codes}) == CONCURRENT_SUBMISSIONS
    with app.app_context():
        assert db.session.scalar(select(func.count(FeedbackItem.id))) == CONCURRENT_SUBMISSIONS
        assert db.session.scalar(select(SequenceCounter.value)) == CONCURRENT_SUBMISSIONS


# --- status lifecycle --------------------------------------------------------------------

ALL_PAIRS = [(old, new) for old in ItemStatus for new in ItemStatus]


def test_every_allowed_transition_changes_status_and_writes_an_event(app, users):
    with app.app_context():
        item = create_item()
        db.session.commit()
        for old, new in ALL_PAIRS:
            if new not in ALLOWED_TRANSITIONS[old]:
                continue
            item.status = old  # put the item in the starting state directly
            db.session.flush()
            event = services.change_status(item, new, actor_id=users["staff"], note=f"{old.value}→{new.value}")
            db.session.commit()
            db.session.expire_all()
            assert item.status is new
            stored = db.session.get(Event, event.id)
            assert (stored.kind, stored.actor_id, stored.from_value, stored.to_value, stored.note) == (
                EventKind.status_changed,
                users["staff"],
                old.value,
                new.value,
                f"{old.value}→{new.value}",
            )
            assert (item.closed_at is not None) == (new is ItemStatus.closed)
        changed = db.session.scalar(
            select(func.count(Event.id)).where(Event.item_id == item.id, Event.kind == EventKind.status_changed)
        )
        assert changed == sum(len(targets) for targets in ALLOWED_TRANSITIONS.values())


def test_every_disallowed_transition_raises_and_changes_nothing(app, users):
    disallowed = [(old, new) for old, new in ALL_PAIRS if new not in ALLOWED_TRANSITIONS[old]]
    assert (ItemStatus.pending, ItemStatus.closed) in disallowed
    assert all((s, s) in disallowed for s in ItemStatus)  # no change to the same status
    with app.app_context():
        item = create_item()
        db.session.commit()
        for old, new in disallowed:
            item.status = old
            db.session.commit()
            events_before = db.session.scalar(select(func.count(Event.id)))
            with pytest.raises(services.TransitionError):
                services.change_status(item, new, actor_id=users["staff"])
            db.session.commit()
            db.session.expire_all()
            assert item.status is old, (old, new)
            assert db.session.scalar(select(func.count(Event.id))) == events_before, (old, new)


def test_creation_writes_the_first_event(app_ctx):
    item = create_item()
    db.session.commit()
    [event] = item.events
    assert (event.kind, event.from_value, event.to_value, event.actor_id) == (EventKind.created, None, "pending", None)


# --- lookup ------------------------------------------------------------------------------


def test_lookup_needs_the_matching_secret(app_ctx):
    item = create_item()
    other = create_item()
    db.session.commit()

    assert services.find_by_tracking(item.tracking_code, item.lookup_secret) is item
    assert services.find_by_tracking(item.tracking_code, other.lookup_secret) is None
    assert services.find_by_tracking(item.tracking_code, "") is None
    assert services.find_by_tracking(item.tracking_code, item.lookup_secret[:-1]) is None
    assert services.find_by_tracking(other.tracking_code, item.lookup_secret) is None
    assert services.find_by_tracking("JD-1999-000001", item.lookup_secret) is None


def test_lookup_accepts_lower_case_and_surrounding_spaces(app_ctx):
    item = create_item()
    db.session.commit()
    found = services.find_by_tracking(f"  {item.tracking_code.lower()} ", f" {item.lookup_secret.lower()}\n")
    assert found is item


# --- reporters ---------------------------------------------------------------------------


def test_anonymous_submission_keeps_no_contact_details(app_ctx):
    item = create_item(reporter=services.ReporterInput(wants_anonymity=True))
    db.session.commit()
    reporter = db.session.get(Reporter, item.reporter_id)
    assert reporter.wants_anonymity is True
    assert (reporter.name, reporter.phone, reporter.email) == (None, None, None)


def test_named_reporter_is_stored_cleaned(app_ctx):
    item = create_item(
        reporter=ReporterInputFactory.build(name="  王五 ", phone=" 13800001111 ", email=" Wang@Example.CN ")
    )
    db.session.commit()
    reporter = db.session.get(Reporter, item.reporter_id)
    assert (reporter.name, reporter.phone, reporter.email) == ("王五", "13800001111", "wang@example.cn")
    assert reporter.wants_anonymity is False


def test_subject_defaults_to_the_start_of_the_body(app_ctx):
    long_line = "县政务服务大厅" * 10
    item = create_item(body=f"\n\n{long_line}\n第二行")
    assert item.subject == long_line[: services.SUBJECT_FROM_BODY_CHARS] + "…"
    assert create_item(body="窗口态度差，推诿扯皮。", subject="  标题  ").subject == "标题"


def test_undispatched_items_are_listed_until_marked(app_ctx):
    first, second = create_item(), create_item()
    db.session.commit()
    assert services.undispatched_item_ids() == [first.id, second.id]
    services.mark_dispatched([first.id])
    db.session.commit()
    assert services.undispatched_item_ids() == [second.id]
