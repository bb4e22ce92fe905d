"""The holiday schedules admins enter from the State Council notice (国务院办公厅关于某年部分
节假日安排的通知) for years the `chinese-calendar` package does not know yet.

Services take plain values, flush, and leave the commit to the caller."""

import re
from datetime import date, timedelta

from sqlalchemy import select

from intake.extensions import db
from intake.rectification.models.holiday_schedule import HolidaySchedule, HolidayScheduleDay, ScheduleDayKind
from intake.rectification.workdays import YearSchedule

# 2027-02-05, 2027/2/5, 2027.2.5; 2027年2月5日; 2月5日; a range "至 / 到 / ~ / -- / —" whose end
# may omit the year and the month ("2月5日至11日").
_DATE = r"(?:(?P<y>\d{4})\s*(?:年|-|/|\.)\s*)?(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*日?"
_END = r"(?:(?P<y2>\d{4})\s*(?:年|-|/|\.)\s*)?(?:(?P<m2>\d{1,2})\s*(?:月|-|/|\.)\s*)?(?P<d2>\d{1,2})\s*日?"
_RANGE = re.compile(_DATE + r"(?:\s*[（(][^）)]*[）)])?\s*(?:(?:至|到|~|～|—|–|--)\s*" + _END + r")?")


class ScheduleError(ValueError):
    """What the admin entered is not a schedule for that year; `problems` says why, line by line."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(f"{code} {value}" for code, value in problems))
        self.problems = problems


def parse_days(text: str, year: int) -> tuple[set[date], list[str]]:
    """The dates in pasted text: single days and ranges, ISO or as the notice writes them. A date
    without a year belongs to `year`. Returns the days and the fragments that are not dates."""
    days: set[date] = set()
    bad: list[str] = []
    for match in _RANGE.finditer(text or ""):
        g = match.groupdict()
        try:
            start = date(int(g["y"] or year), int(g["m"]), int(g["d"]))
            end = start
            if g["d2"]:
                end = date(int(g["y2"] or start.year), int(g["m2"] or start.month), int(g["d2"]))
        except ValueError:
            bad.append(match.group(0).strip())
            continue
        if end < start or (end - start).days > 31:
            bad.append(match.group(0).strip())
            continue
        days.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return days, bad


def split_notice(text: str) -> tuple[str, str]:
    """The notice pasted whole: sentences that say 上班 list swapped working days, the others
    days off ("2月14日（周六）、2月28日（周六）上班。")."""
    off, worked = [], []
    for sentence in re.split(r"[。；;\n]", text or ""):
        (worked if "上班" in sentence else off).append(sentence)
    return "\n".join(off), "\n".join(worked)


def validate_schedule(year: int, holidays: set[date], workdays: set[date], bad: list[str]) -> list[tuple[str, str]]:
    """Problems with a schedule, as plain facts the page translates: (code, value) pairs."""
    problems = [("not_a_date", b) for b in bad]
    if not 2000 <= year <= 2100:
        problems.append(("year", str(year)))
    problems += [("other_year", d.isoformat()) for d in sorted(holidays | workdays) if d.year != year]
    problems += [("both", d.isoformat()) for d in sorted(holidays & workdays)]
    problems += [("workday_not_weekend", d.isoformat()) for d in sorted(workdays) if d.weekday() < 5]
    if not holidays:
        problems.append(("no_holidays", ""))
    return problems


def save_holiday_schedule(
    year: int, holidays_text: str, workdays_text: str, actor_id: int | None, notice: str | None = None
) -> HolidaySchedule:
    """Store (or replace) one year's schedule. Raises ScheduleError with every problem found.
    The notice can be pasted whole into `holidays_text`: its 上班 sentences count as workdays."""
    holidays_text, worked_text = split_notice(holidays_text)
    holidays, bad_h = parse_days(holidays_text, year)
    workdays, bad_w = parse_days(worked_text + "\n" + (workdays_text or ""), year)
    problems = validate_schedule(year, holidays, workdays, bad_h + bad_w)
    if problems:
        raise ScheduleError(problems)
    schedule = db.session.get(HolidaySchedule, year)
    if schedule is None:
        schedule = HolidaySchedule(year=year)
        db.session.add(schedule)
    schedule.days.clear()
    db.session.flush()
    schedule.entered_by_id = actor_id
    schedule.notice = (notice or "").strip() or None
    schedule.days.extend(HolidayScheduleDay(day=d, kind=ScheduleDayKind.holiday) for d in sorted(holidays))
    schedule.days.extend(HolidayScheduleDay(day=d, kind=ScheduleDayKind.workday) for d in sorted(workdays))
    db.session.flush()
    return schedule


def entered_schedules() -> dict[int, YearSchedule]:
    rows = db.session.execute(select(HolidayScheduleDay.year, HolidayScheduleDay.day, HolidayScheduleDay.kind))
    result: dict[int, tuple[set, set]] = {}
    for year, day, kind in rows:
        holidays, workdays = result.setdefault(year, (set(), set()))
        (holidays if kind is ScheduleDayKind.holiday else workdays).add(day)
    return {y: YearSchedule(frozenset(h), frozenset(w)) for y, (h, w) in result.items()}


def schedules() -> list[HolidaySchedule]:
    return list(db.session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year.desc())))
