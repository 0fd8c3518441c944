"""Times for meals, events and deals: timezone-aware, in the future, end after start, and every
start and end within one horizon (MAX_AHEAD): a deal "until 9999" is a listing nobody can expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.errors import Collector, ErrorCode

MAX_AHEAD = timedelta(days=366)


def check_start(starts_at: datetime, field: str, collector: Collector, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        collector.add(
            field, ErrorCode.INVALID, "Give the time with its UTC offset, e.g. 2026-12-01T19:00:00+08:00"
        )
    elif starts_at <= now:
        collector.add(field, ErrorCode.IN_THE_PAST, "This time has already passed")
    else:
        check_horizon(starts_at, field, collector, now)


def check_window(
    starts_at: datetime, ends_at: datetime, field: str, collector: Collector, now: datetime | None = None
) -> None:
    if ends_at.tzinfo is None or ends_at.utcoffset() is None:
        collector.add(field, ErrorCode.INVALID, "Give the time with its UTC offset")
    elif starts_at.tzinfo is not None and ends_at <= starts_at:
        collector.add(field, ErrorCode.INVALID_TIME_RANGE, "The end must be after the start")
    else:
        check_horizon(ends_at, field, collector, now)


def check_horizon(moment: datetime, field: str, collector: Collector, now: datetime | None = None) -> None:
    """The one bound on how far ahead anything may be scheduled (an aware `moment`)."""
    if moment - (now or datetime.now(UTC)) > MAX_AHEAD:
        collector.add(field, ErrorCode.OUT_OF_RANGE, f"At most {MAX_AHEAD.days} days ahead")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
