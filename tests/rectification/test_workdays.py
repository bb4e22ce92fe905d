"""Deadlines in working days on the official calendar (2026 State Council notice)."""

import json
from datetime import date

import pytest

from intake.rectification.workdays import CalendarDataMissing, WorkdayCalendar, load_schedule_file

cal = WorkdayCalendar()


@pytest.mark.parametrize(
    "start, count, expected",
    [
        # National Day + Mid-Autumn 2026: Oct 1-7 off; Sat Oct 10 is a swapped working day.
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 10, 8), 2, date(2026, 10, 10)),
        (date(2026, 10, 9), 1, date(2026, 10, 10)),
        (date(2026, 9, 28), 3, date(2026, 10, 8)),
        # Sun Sep 20 2026 is worked, Sep 25-27 are off.
        (date(2026, 9, 19), 1, date(2026, 9, 20)),
        (date(2026, 9, 24), 1, date(2026, 9, 28)),
        # Spring Festival 2026: Feb 15-23 off; Sat Feb 14 and Sat Feb 28 worked.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 14), 1, date(2026, 2, 24)),
        (date(2026, 2, 12), 3, date(2026, 2, 24)),
        (date(2026, 2, 27), 1, date(2026, 2, 28)),
        # The default 15 working days for a rectification, dispatched before the holiday.
        (date(2026, 2, 10), 15, date(2026, 3, 9)),
        (date(2026, 9, 21), 15, date(2026, 10, 19)),
        # 3 working days for the first answer across a plain weekend.
        (date(2026, 11, 26), 3, date(2026, 12, 1)),
    ],
)
def test_add_workdays_on_the_official_calendar(start, count, expected):
    assert cal.add_workdays(start, count) == expected


def test_holidays_and_swapped_days():
    assert not cal.is_workday(date(2026, 10, 1))
    assert not cal.is_workday(date(2026, 2, 16))  # a Monday in the Spring Festival
    assert cal.is_workday(date(2026, 2, 28))  # a Saturday worked (调休)
    assert cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2026, 10, 17))  # an ordinary Saturday


def test_workdays_between_counts_like_add_workdays():
    start = date(2026, 9, 28)
    end = cal.add_workdays(start, 7)
    assert cal.workdays_between(start, end) == 7
    assert cal.workdays_between(end, start) == -7


def test_a_year_without_data_fails_loudly():
    with pytest.raises(CalendarDataMissing) as info:
        cal.add_workdays(date(2026, 12, 20), 15)
    assert info.value.year == 2027
    assert "WORKDAY_CALENDAR_FILE" in str(info.value)
    assert not cal.covers(2027) and cal.covers(2026)


def test_extra_years_from_the_schedule_file(tmp_path):
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"2027": {"holidays": ["2027-01-01"], "workdays": ["2027-01-02"]}}))
    extra = WorkdayCalendar(load_schedule_file(path))
    assert extra.add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 2)  # Jan 1 off, Sat Jan 2 worked
    assert extra.add_workdays(date(2026, 12, 31), 2) == date(2027, 1, 4)
    assert extra.covers(2027)
