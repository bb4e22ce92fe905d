"""Years the `chinese-calendar` package does not know: provisional deadlines (weekends and the
statutory holidays of the 2025 《全国年节及纪念日放假办法》), the schedule admins enter from the
State Council notice, and the recount when they do."""

import json
from datetime import date

import chinese_calendar
import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.rectification.models.holiday_schedule import HolidaySchedule
from intake.rectification.models.tasks import RectificationTask, TaskEventKind
from intake.rectification.workdays import WorkdayCalendar, statutory_days_off
from tests.conftest import AuthActions, csrf_token_from

# A made-up 2027 notice (the real one is not published yet): 1-4 January off.
NOTICE_HOLIDAYS = "一、元旦：1月1日（周五）至4日（周一）放假，共4天。\n二、春节：2月5日至11日"
NOTICE_WORKDAYS = "2月14日（周日）、2月20日（周六）上班"


def test_statutory_holidays_of_2027():
    assert sorted(statutory_days_off(2027)) == [
        date(2027, 1, 1),
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),  # 除夕, 正月初一至初三
        date(2027, 4, 5),  # 清明
        date(2027, 5, 1),
        date(2027, 5, 2),
        date(2027, 6, 9),  # 端午 (五月初五)
        date(2027, 9, 15),  # 中秋 (八月十五)
        date(2027, 10, 1),
        date(2027, 10, 2),
        date(2027, 10, 3),
    ]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_statutory_rule_agrees_with_the_official_data(year):
    """Every statutory day the rule finds is a day off in the published schedules."""
    days = statutory_days_off(year)
    assert len(days) == 13
    assert [d for d in days if chinese_calendar.is_workday(d)] == []


def test_provisional_counting_skips_weekends_and_statutory_days():
    cal = WorkdayCalendar()
    assert cal.add_workdays(date(2026, 12, 31), 1, provisional_ok=True) == date(2027, 1, 4)  # Jan 1 off, weekend
    assert cal.add_workdays(date(2027, 2, 4), 1, provisional_ok=True) == date(2027, 2, 9)  # eve to 初三 off
    assert cal.missing_years(date(2026, 12, 20), date(2027, 1, 11)) == [2027]


@pytest.fixture
def no_extra_calendar(app):
    app.config["WORKDAY_CALENDAR_FILE"] = ""  # the package only: 2027 is unknown


def _page(client, url):
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def test_a_deadline_across_new_year_2027_is_provisional_until_the_schedule_is_entered(
    app, users, ledger, no_extra_calendar
):
    task_id = ledger.route([ledger.item()], today=date(2026, 12, 20))
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        # 21-31 Dec: 9 working days; 1 Jan statutory; 4-8 Jan: 5; Mon 11 Jan the 15th.
        assert (task.deadline, task.deadline_provisional, task.provisional_years) == (date(2027, 1, 11), True, "2027")
        assert task.first_answer_due == date(2026, 12, 23)
    staff, admin, liaison = app.test_client(), app.test_client(), app.test_client()
    AuthActions(staff).login("staff")
    AuthActions(admin).login("admin")
    AuthActions(liaison).login("liaison")
    for client, url in [(staff, f"/staff/rectification/tasks/{task_id}"), (liaison, f"/unit/tasks/{task_id}")]:
        status, html = _page(client, url)
        assert status == 200 and 'id="deadline-provisional"' in html and "2027" in html
    for client, url in [(staff, "/staff/rectification/"), (liaison, "/unit/")]:
        assert 'class="provisional"' in _page(client, url)[1]
    assert 'data-missing-year="2027"' not in _page(staff, "/staff/rectification/")[1]  # admins only
    status, html = _page(admin, "/staff/rectification/")
    assert 'data-missing-year="2027"' in html and "/staff/rectification/calendar?year=2027" in html
    assert 'data-missing-year="2027"' not in _page(admin, "/staff/appraisal/")[1]  # only where deadlines are

    token = csrf_token_from(_page(admin, "/staff/rectification/calendar?year=2027")[1])
    response = admin.post(
        "/staff/rectification/calendar",
        data={
            "csrf_token": token,
            "year": "2027",
            "holidays": NOTICE_HOLIDAYS,
            "workdays": NOTICE_WORKDAYS,
            "notice": "国务院办公厅关于2027年部分节假日安排的通知（测试）",
        },
    )
    assert response.status_code == 303
    status, html = _page(admin, response.headers["Location"])
    assert 'data-day="2027-02-14" data-kind="workday"' in html and 'data-day="2027-01-04" data-kind="holiday"' in html
    assert 'data-missing-year="2027"' not in html
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert (task.deadline, task.deadline_provisional, task.provisional_years) == (date(2027, 1, 12), False, None)
        events = [
            (e.kind, e.from_value, e.to_value, e.actor_id)
            for e in task.events
            if e.kind is TaskEventKind.deadline_recomputed
        ]
        assert events == [(TaskEventKind.deadline_recomputed, "2027-01-11", "2027-01-12", users["admin"])]
    assert 'id="deadline-provisional"' not in _page(liaison, f"/unit/tasks/{task_id}")[1]
    assert 'class="provisional"' not in _page(liaison, "/unit/")[1]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_cli_recomputes_after_a_calendar_file_and_checks_years(
    app, users, ledger, runner, tmp_path, no_extra_calendar
):
    task_id = ledger.route([ledger.item()], today=date(2026, 12, 20))
    result = runner.invoke(args=["intake", "rectification", "calendar-check"])
    assert result.exit_code == 1 and "2027: missing" in result.output
    path = tmp_path / "2027.json"
    path.write_text(json.dumps({"2027": {"holidays": ["2027-01-01", "2027-01-11"], "workdays": []}}))
    app.config["WORKDAY_CALENDAR_FILE"] = str(path)
    result = runner.invoke(args=["intake", "rectification", "recompute-deadlines"])
    assert result.exit_code == 0, result.output
    assert "deadline 2027-01-12, final" in result.output and "1 deadline(s) changed" in result.output
    assert (
        runner.invoke(args=["intake", "rectification", "recompute-deadlines"]).output.strip() == "0 deadline(s) changed"
    )
    assert runner.invoke(args=["intake", "rectification", "calendar-check"]).exit_code == 0
    with app.app_context():
        task = db.session.get(RectificationTask, task_id)
        assert [e.actor_id for e in task.events if e.kind is TaskEventKind.deadline_recomputed] == [None]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "holidays, workdays, message",
    [
        ("2028-01-01", "", "不在所填年份"),  # another year
        ("2027-01-01", "2027-01-05", "是工作日"),  # a Tuesday cannot be a swapped working day
        ("2027-01-01", "2027-01-01", "同时"),  # both
        ("2027-13-45", "", "不是日期"),
        ("放假", "", "至少"),  # no date at all
    ],
)
def test_the_schedule_is_validated(app, users, holidays, workdays, message):
    client = app.test_client()
    AuthActions(client).login("admin")
    token = csrf_token_from(client.get("/staff/rectification/calendar").get_data(as_text=True))
    response = client.post(
        "/staff/rectification/calendar?lang=zh_Hans",
        data={"csrf_token": token, "year": "2027", "holidays": holidays, "workdays": workdays},
        headers={"Accept-Language": "zh-CN"},
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(HolidaySchedule)) is None


NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八、周日）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。"""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_notice_pasted_whole_gives_the_official_2026_calendar(app_ctx, users):
    """Pasted as published, the 2026 notice yields exactly the package's 2026 working days."""
    from datetime import timedelta

    from intake.rectification.calendar import entered_schedules, save_holiday_schedule

    save_holiday_schedule(2026, NOTICE_2026, "", users["admin"])
    entered = WorkdayCalendar(entered_schedules())
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    assert [d for d in days if entered.is_workday(d) != chinese_calendar.is_workday(d)] == []
