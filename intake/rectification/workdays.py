"""Working days on the official Chinese calendar: statutory holidays and swapped working days
(调休) included, from the schedules admins enter, WORKDAY_CALENDAR_FILE and the
`chinese-calendar` package, in that order.

A year nobody has data for is never counted silently: `is_workday` raises, and only a caller
that marks its result provisional (`provisional_ok=True`) counts it with weekends and the
statutory holidays of 《全国年节及纪念日放假办法》 (2025 revision), which are known for any year."""

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
from lunardate import LunarDate


class CalendarDataMissing(LookupError):
    """No official holiday schedule is known for this year."""

    def __init__(self, year: int):
        super().__init__(year)
        self.year = year

    def __str__(self) -> str:
        return (
            f"no official holiday schedule for {self.year}: upgrade chinese-calendar or add the "
            f"State Council notice for {self.year} to the file named by WORKDAY_CALENDAR_FILE"
        )


@dataclass(frozen=True)
class YearSchedule:
    """One year's State Council notice: days off that fall on weekdays, and weekend days that
    are working days (调休)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)


def load_schedule_file(path: str | Path) -> dict[int, YearSchedule]:
    """Read extra years from JSON: {"2027": {"holidays": ["2027-01-01", ...], "workdays": [...]}}."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    schedules = {}
    for year, days in raw.items():
        holidays = frozenset(date.fromisoformat(d) for d in days.get("holidays", []))
        workdays = frozenset(date.fromisoformat(d) for d in days.get("workdays", []))
        for d in holidays | workdays:
            if d.year != int(year):
                raise ValueError(f"{d} is listed under {year}")
        schedules[int(year)] = YearSchedule(holidays=holidays, workdays=workdays)
    return schedules


@lru_cache(maxsize=64)
def statutory_days_off(year: int) -> dict[date, str]:
    """The statutory holidays of a year by the 2025 《全国年节及纪念日放假办法》, without the
    bridging days and swapped working days (调休) each year's State Council notice adds:
    New Year 1 day, Spring Festival 4 (eve and the 1st-3rd of the first lunar month),
    Qingming (the solar term), Labour Day 2 (1-2 May), Dragon Boat (5/5 lunar),
    Mid-Autumn (8/15 lunar), National Day 3 (1-3 October)."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days = {date(year, 1, 1): "元旦"}
    # The eve is the day before the lunar new year, whether the 12th month has 29 or 30 days.
    for offset in range(-1, 3):
        days[new_year + timedelta(days=offset)] = "春节"
    qingming = [
        d for d, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)) if name == "清明"
    ]
    days.update({d: "清明节" for d in qingming})
    days.update({date(year, 5, 1): "劳动节", date(year, 5, 2): "劳动节"})
    days[LunarDate(year, 5, 5).to_solar_date()] = "端午节"
    days[LunarDate(year, 8, 15).to_solar_date()] = "中秋节"
    days.update({date(year, 10, n): "国庆节" for n in (1, 2, 3)})
    return days


def provisional_is_workday(day: date) -> bool:
    """A weekday that is not a statutory holiday. Bridging days and 调休 are unknown."""
    return day.weekday() < 5 and day not in statutory_days_off(day.year)


class WorkdayCalendar:
    def __init__(self, extra: dict[int, YearSchedule] | None = None):
        self.extra = extra or {}

    def is_workday(self, day: date, provisional_ok: bool = False) -> bool:
        """Raises CalendarDataMissing for a year nobody has data for, unless `provisional_ok`."""
        schedule = self.extra.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            if day in schedule.holidays:
                return False
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as exc:
            if provisional_ok:
                return provisional_is_workday(day)
            raise CalendarDataMissing(day.year) from exc

    def add_workdays(self, start: date, count: int, provisional_ok: bool = False) -> date:
        """The `count`-th working day after `start` (the start day itself is not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day, provisional_ok):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date, provisional_ok: bool = False) -> int:
        """Working days after `start` up to and including `end` (negative when end is before)."""
        if end < start:
            return -self.workdays_between(end, start, provisional_ok)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n), provisional_ok)
        )

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years from `start` to `end` that a count over them would take provisionally."""
        return [y for y in range(start.year, end.year + 1) if not self.covers(y)]

    def covers(self, year: int) -> bool:
        try:
            self.is_workday(date(year, 6, 1))
        except CalendarDataMissing:
            return False
        return True


_cache: dict[str, dict[int, YearSchedule]] = {}


def current_calendar() -> WorkdayCalendar:
    """The calendar of the running app: the schedules admins entered (holiday_schedules), then
    WORKDAY_CALENDAR_FILE, then the package's data. The table is read on every call (a few
    dozen rows a year), so a schedule entered in one process counts in every other at once."""
    from flask import current_app

    from intake.rectification.calendar import entered_schedules

    path = current_app.config.get("WORKDAY_CALENDAR_FILE") or ""
    if path not in _cache:
        _cache[path] = load_schedule_file(path) if path else {}
    return WorkdayCalendar({**_cache[path], **entered_schedules()})
