"""The holiday schedule admins enter (国务院办公厅关于节假日安排的通知) for a year the
`chinese-calendar` package does not know yet."""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.auth.models import User
from intake.core.models import enum_column
from intake.extensions import db
from intake.timeutil import utcnow


class ScheduleDayKind(enum.Enum):
    holiday = "holiday"  # 放假
    workday = "workday"  # 调休上班


class HolidaySchedule(db.Model):
    """One year's State Council notice, entered by an admin for a year the `chinese-calendar`
    package does not know yet."""

    __tablename__ = "holiday_schedules"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="year_in_range"),)

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    notice: Mapped[str | None] = mapped_column(Text)  # what the admin pasted, kept as entered
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entered_by: Mapped[User | None] = relationship()
    days: Mapped[list["HolidayScheduleDay"]] = relationship(
        back_populates="schedule", order_by="HolidayScheduleDay.day", cascade="all, delete-orphan"
    )


class HolidayScheduleDay(db.Model):
    """A weekday off (放假) or a weekend day worked (调休上班) in an entered schedule."""

    __tablename__ = "holiday_schedule_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("holiday_schedules.year", ondelete="CASCADE"), index=True)
    kind: Mapped[ScheduleDayKind] = mapped_column(enum_column(ScheduleDayKind, "schedule_day_kind"))

    schedule: Mapped[HolidaySchedule] = relationship(back_populates="days")
