"""Opening hours: staff set them; pages, search and lists read them (batched)."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from core.context import Context
from core.errors import Collector, ErrorCode
from core.schedule import check_in_window, check_time_zone, time_zones
from core.text import check_visible_text
from models.hours import OpeningHours
from models.restaurants import Restaurant
from resolvers.accounts.accounts import write_limit
from resolvers.restaurants.access import require_staff
from resolvers.restaurants.hours import DAY, Schedule, is_open

CLOCK = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
MAX_RANGES_PER_DAY = 6
MAX_SPECIAL_DAYS = 100
MAX_NOTE = 120


@dataclass
class TimeRange:
    opens: str
    closes: str


@dataclass
class WeeklyRange(TimeRange):
    weekday: int  # 0 = Monday


@dataclass
class SpecialDay:
    day: date
    ranges: list[TimeRange]
    note: str = ""


@dataclass
class Hours:
    """A restaurant's hours as read: its schedule and its zone."""

    schedule: Schedule
    zone: str


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minutes(text: str, field: str, collector: Collector) -> int | None:
    match = CLOCK.fullmatch(text)
    value = int(match.group(1)) * 60 + int(match.group(2)) if match else None
    if value is None or value > DAY:
        collector.add(field, ErrorCode.INVALID, "Times are HH:MM, 00:00 to 24:00")
        return None
    return value


def _range(r: TimeRange, field: str, collector: Collector) -> list[int] | None:
    opens, closes = _minutes(r.opens, field, collector), _minutes(r.closes, field, collector)
    if opens is None or closes is None:
        return None
    if opens == DAY or opens == closes:
        collector.add(field, ErrorCode.INVALID_TIME_RANGE, "A range opens before 24:00 and is not empty")
        return None
    return [opens, closes]


def check_hours(
    timezone: str | None, weekly: list[WeeklyRange], specials: list[SpecialDay], today: date
) -> tuple[list[list[int]], dict[str, dict]]:
    """Validated rows for the table (past special days dropped); a UserError lists every problem."""
    collector = Collector()
    if timezone is not None:
        check_time_zone(timezone, "timezone", collector)
    rows: list[list[int]] = []
    for w in weekly:
        if not 0 <= w.weekday <= 6:
            collector.add("weekly", ErrorCode.OUT_OF_RANGE, "Weekday is 0 (Monday) to 6")
        elif (r := _range(w, "weekly", collector)) is not None:
            rows.append([w.weekday, *r])
    if any(sum(1 for row in rows if row[0] == d) > MAX_RANGES_PER_DAY for d in range(7)):
        collector.add("weekly", ErrorCode.OUT_OF_RANGE, f"At most {MAX_RANGES_PER_DAY} ranges a day")
    days: dict[str, dict] = {}
    if len(specials) > MAX_SPECIAL_DAYS:
        collector.add("specials", ErrorCode.OUT_OF_RANGE, f"At most {MAX_SPECIAL_DAYS} special days")
    for s in specials[:MAX_SPECIAL_DAYS]:
        check_in_window(s.day, "specials", collector)
        if len(s.note) > MAX_NOTE:
            collector.add("specials", ErrorCode.TOO_LONG, f"Notes are at most {MAX_NOTE} characters")
        check_visible_text(s.note, "specials", collector)
        if len(s.ranges) > MAX_RANGES_PER_DAY:
            collector.add("specials", ErrorCode.OUT_OF_RANGE, f"At most {MAX_RANGES_PER_DAY} ranges a day")
        ranges = [r for r in (_range(x, "specials", collector) for x in s.ranges) if r is not None]
        if s.day >= today - timedelta(1):  # yesterday's overnight range still matters today
            days[s.day.isoformat()] = {"ranges": ranges, "note": s.note.strip()}
    collector.raise_if_any()
    return rows, days


async def set_opening_hours(
    ctx: Context,
    restaurant_id: int,
    timezone: str | None,
    weekly: list[WeeklyRange],
    specials: list[SpecialDay],
) -> Restaurant:
    """Replace the restaurant's hours (staff only); the zone, if given, changes with them."""
    viewer = await write_limit(ctx, "restaurant")
    restaurant = await require_staff(viewer, restaurant_id)
    zone = timezone if timezone in time_zones() else restaurant.timezone  # a bad one is reported below
    rows, days = check_hours(timezone, weekly, specials, datetime.now(zoneinfo.ZoneInfo(zone)).date())
    async with in_transaction("default"):
        if timezone is not None and timezone != restaurant.timezone:
            restaurant.timezone = timezone
            await restaurant.save(update_fields=["timezone"])
        updated = await OpeningHours.filter(restaurant_id=restaurant_id).update(weekly=rows, specials=days)
        if not updated:
            await OpeningHours.create(restaurant_id=restaurant_id, weekly=rows, specials=days)
    return restaurant


# ------------------------------------------------------------------ reads


async def load_hours(keys: Sequence[int]) -> list[Hours | None]:
    """Each restaurant's hours, None when it never set any (open now is then unknown)."""
    ids = list(keys)
    rows = {row.restaurant_id: row for row in await OpeningHours.filter(restaurant_id__in=ids)}
    zones = dict(await Restaurant.filter(id__in=list(rows)).values_list("id", "timezone")) if rows else {}
    found = {
        rid: Hours(Schedule.from_row(row.weekly, row.specials), zones.get(rid, "Asia/Shanghai"))
        for rid, row in rows.items()
    }
    return [found.get(key) for key in ids]


async def open_flags(restaurant_ids: Sequence[int], now: datetime | None = None) -> dict[int, bool]:
    """Open at `now` for each restaurant (False when it has no hours): search's "open now"."""
    at = now or datetime.now(UTC)
    ids = list(dict.fromkeys(restaurant_ids))
    if not ids:
        return {}
    hours = await load_hours(ids)
    return {rid: h is not None and is_open(h.schedule, h.zone, at) for rid, h in zip(ids, hours, strict=True)}
