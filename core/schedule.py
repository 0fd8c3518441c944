"""Times for meals, events and deals: timezone-aware, in the future, end after start, and every
start and end within one horizon (MAX_AHEAD): a deal "until 9999" is a listing nobody can expire.

Every date or time a client gives lies in the years FIRST_YEAR..LAST_YEAR (OUT_OF_RANGE
otherwise): 0001-01-01T00:00+14:00 or 9999-12-31T23:59-14:00 is no instant Python can hold in
UTC, so `utc()` refuses such a moment before converting it. Time zones are checked here too
(`check_time_zone`), one list for profiles and restaurants.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from functools import cache

from core.error_text import explained
from core.errors import Collector, ErrorCode, UserInputError

MAX_AHEAD = timedelta(days=366)
FIRST_YEAR, LAST_YEAR = 2000, 2100
OUT_OF_WINDOW = f"Dates are in the years {FIRST_YEAR} to {LAST_YEAR}"
# Files in the zone database that are no place's time: "Factory" (a placeholder zone),
# "localtime" (whatever the machine is set to), "posixrules" (a template for POSIX TZ strings).
NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


def in_window(moment: date) -> bool:
    """A date or datetime (its own wall-clock year) within FIRST_YEAR..LAST_YEAR."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def check_in_window(moment: date, field: str, collector: Collector) -> bool:
    if in_window(moment):
        return True
    collector.add(field, ErrorCode.OUT_OF_RANGE, OUT_OF_WINDOW)
    return False


def require_in_window(moment: date, field: str | None) -> None:
    """The same check, raised at once (queries: BAD_USER_INPUT; mutations: the payload's errors)."""
    if not in_window(moment):
        raise UserInputError(ErrorCode.OUT_OF_RANGE, OUT_OF_WINDOW, field)


def check_start(starts_at: datetime, field: str, collector: Collector, now: datetime | None = None) -> bool:
    """Aware, still to come and within the horizon; False (and the reason collected) otherwise."""
    now = now or datetime.now(UTC)
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        collector.add(
            field, ErrorCode.INVALID, "Give the time with its UTC offset, e.g. 2026-12-01T19:00:00+08:00"
        )
    elif starts_at <= now:
        collector.add(field, ErrorCode.IN_THE_PAST, "This time has already passed")
    else:
        return check_horizon(starts_at, field, collector, now)
    return False


def check_window(
    starts_at: datetime, ends_at: datetime, field: str, collector: Collector, now: datetime | None = None
) -> None:
    if ends_at.tzinfo is None or ends_at.utcoffset() is None:
        collector.add(field, ErrorCode.INVALID, "Give the time with its UTC offset")
    elif starts_at.tzinfo is not None and ends_at <= starts_at:
        collector.add(field, ErrorCode.INVALID_TIME_RANGE, "The end must be after the start")
    else:
        check_horizon(ends_at, field, collector, now)


def check_horizon(moment: datetime, field: str, collector: Collector, now: datetime | None = None) -> bool:
    """The one bound on how far ahead anything may be scheduled (an aware `moment`)."""
    if moment - (now or datetime.now(UTC)) > MAX_AHEAD:
        ahead = explained(f"At most {MAX_AHEAD.days} days ahead", "OUT_OF_RANGE.ahead", days=MAX_AHEAD.days)
        collector.add(field, ErrorCode.OUT_OF_RANGE, ahead)
        return False
    return True


def utc(moment: datetime, field: str | None = None) -> datetime:
    """A client's aware moment in UTC. Without an offset (INVALID) or outside the years window
    (OUT_OF_RANGE) it is a UserInputError on `field`, never an OverflowError from the
    conversion."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise UserInputError(ErrorCode.INVALID, "Give the time with its UTC offset", field)
    require_in_window(moment, field)
    return moment.astimezone(UTC)


@cache
def time_zones() -> frozenset[str]:
    """IANA zone names a person or restaurant may have (the machine's database, else tzdata's)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_ZONES


def check_time_zone(name: str, field: str, collector: Collector) -> bool:
    """Only a name from `time_zones()`: never a path ("America", "../x") that ZoneInfo would open."""
    if name in time_zones():
        return True
    collector.add(field, ErrorCode.INVALID, "Not an IANA time zone (e.g. Asia/Shanghai)")
    return False
