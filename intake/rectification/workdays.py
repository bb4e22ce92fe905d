"""Working days on the official Chinese calendar: statutory holidays and swapped working days
(调休) included, from the `chinese-calendar` package plus years an admin adds by hand.

A year nobody has data for is an error, never a silent weekends-only count: a deadline that
lands on a Spring Festival holiday would be wrong in front of a whole unit."""
import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar


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


class WorkdayCalendar:
    def __init__(self, extra: dict[int, YearSchedule] | None = None):
        self.extra = extra or {}

    def is_workday(self, day: date) -> bool:
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
            raise CalendarDataMissing(day.year) from exc

    def add_workdays(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (the start day itself is not counted)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        day = start
        remaining = count
        while remaining:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end is before)."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=n)))

    def covers(self, year: int) -> bool:
        try:
            self.is_workday(date(year, 6, 1))
        except CalendarDataMissing:
            return False
        return True


_cache: dict[str, WorkdayCalendar] = {}


def current_calendar() -> WorkdayCalendar:
    """The calendar of the running app: the package's data plus WORKDAY_CALENDAR_FILE."""
    from flask import current_app

    path = current_app.config.get("WORKDAY_CALENDAR_FILE") or ""
    if path not in _cache:
        _cache[path] = WorkdayCalendar(load_schedule_file(path) if path else None)
    return _cache[path]
