"""Time helpers: the database stores naive UTC; pages show the county's local time."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def county_zone() -> ZoneInfo:
    """The county's time zone (TIMEZONE): its calendar days decide deadlines and years."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    """Today in the county, whatever the server's zone."""
    return datetime.now(county_zone()).date()
