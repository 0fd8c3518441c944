"""Opening hours: staff set them; pages, search and lists read them (batched).

Validation names the range it is about, by its index in the input: `weekly.3` (`weekly.3.opens`
for a bad time), `specials.0.ranges.1`, `specials.0.note`. 00:00-00:00 is open all day (24小时营业);
any other range whose close equals its open is refused. Ranges must not overlap: on one date
for a special day, and on the week's ring for weekly ones (a Friday 18:00-02:00 overlaps a
Saturday 01:00-03:00; ranges that only touch, 11:00-14:00 and 14:00-21:00, are fine).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tortoise.transactions import in_transaction

from core.atomic import lock_row
from core.context import Context
from core.error_text import at_most, between, too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.schedule import check_in_window, check_time_zone, time_zones
from core.text import check_visible_text
from models.hours import OpeningHours
from models.restaurants import Restaurant
from resolvers.accounts.accounts import write_limit
from resolvers.restaurants.access import require_staff
from resolvers.restaurants.hours import DAY, WEEK_DAYS, Schedule, end_of, is_open

CLOCK = re.compile(r"([01]\d|2[0-4]):([0-5]\d)")
MAX_RANGES_PER_DAY = 6
MAX_SPECIAL_DAYS = 100
MAX_NOTE = 120
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_DAY_HINT = "closes must differ from opens, except 00:00–00:00 for open all day (24 hours)"


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
        collector.add(field, ErrorCode.INVALID, "Times are HH:MM, from 00:00 to 24:00")
        return None
    return value


def _range(r: TimeRange, field: str, collector: Collector) -> list[int] | None:
    """[opens, closes] in minutes, or None with the problem reported on `field` (`weekly.3`)."""
    opens = _minutes(r.opens, f"{field}.opens", collector)
    closes = _minutes(r.closes, f"{field}.closes", collector)
    if opens is None or closes is None:
        return None
    if opens == DAY:
        collector.add(
            f"{field}.opens", ErrorCode.INVALID_TIME_RANGE, "opens must be before 24:00 (midnight is 00:00)"
        )
        return None
    if opens == closes and opens != 0:  # 00:00-00:00 is the whole day
        collector.add(field, ErrorCode.INVALID_TIME_RANGE, f"{r.opens}–{r.closes}: {ALL_DAY_HINT}")
        return None
    return [opens, closes]


def _overlaps(spans: list[tuple[int, int, int]], ring: int | None = None) -> list[tuple[int, int]]:
    """Pairs (later, earlier) of input indexes whose spans (start, end, index) overlap; on a ring
    of `ring` minutes a span past its end wraps to the start. Touching spans do not overlap."""
    pieces: list[tuple[int, int, int]] = []
    for start, end, index in spans:
        if ring is not None and end > ring:
            pieces += [(start, ring, index), (0, end - ring, index)]
        else:
            pieces.append((start, end, index))
    pieces.sort()
    found: set[tuple[int, int]] = set()
    reach, holder = -1, -1  # the furthest end so far and whose it is
    for start, end, index in pieces:
        if start < reach and index != holder:
            found.add((max(index, holder), min(index, holder)))
        if end > reach:
            reach, holder = end, index
    return sorted(found)


def _clock_range(opens: int, closes: int) -> str:
    return f"{clock(opens)}–{clock(closes)}"


def check_hours(
    timezone: str | None, weekly: list[WeeklyRange], specials: list[SpecialDay], today: date
) -> tuple[list[list[int]], dict[str, dict]]:
    """Validated rows for the table (past special days dropped); a UserError lists every problem."""
    collector = Collector()
    if timezone is not None:
        check_time_zone(timezone, "timezone", collector)
    rows: list[list[int]] = []
    indexes: list[int] = []  # each row's place in the input
    for i, w in enumerate(weekly):
        if not 0 <= w.weekday <= 6:
            weekday = between("Weekday is 0 (Monday) to 6 (Sunday)", 0, 6)
            collector.add(f"weekly.{i}.weekday", ErrorCode.OUT_OF_RANGE, weekday)
        elif (r := _range(w, f"weekly.{i}", collector)) is not None:
            rows.append([w.weekday, *r])
            indexes.append(i)
    crowded = [d for d in range(7) if sum(1 for row in rows if row[0] == d) > MAX_RANGES_PER_DAY]
    for d in crowded:
        collector.add(
            "weekly", ErrorCode.OUT_OF_RANGE, f"At most {MAX_RANGES_PER_DAY} ranges on {WEEKDAYS[d]}"
        )
    if not crowded:
        spans = [(d * DAY + o, d * DAY + end_of(o, c), i) for (d, o, c), i in zip(rows, indexes, strict=True)]
        by_index = dict(zip(indexes, rows, strict=True))
        for later, earlier in _overlaps(spans, WEEK_DAYS * DAY):
            (d1, o1, c1), (d2, o2, c2) = by_index[later], by_index[earlier]
            collector.add(
                f"weekly.{later}",
                ErrorCode.INVALID_TIME_RANGE,
                f"{WEEKDAYS[d1]} {_clock_range(o1, c1)} overlaps {WEEKDAYS[d2]} {_clock_range(o2, c2)}"
                f" (weekly.{earlier}): ranges must not overlap, make them one range",
            )
    days: dict[str, dict] = {}
    if len(specials) > MAX_SPECIAL_DAYS:
        collector.add(
            "specials",
            ErrorCode.OUT_OF_RANGE,
            at_most(f"At most {MAX_SPECIAL_DAYS} special days", MAX_SPECIAL_DAYS),
        )
    first_of: dict[date, int] = {}  # each date's first entry: a second one would silently win
    for i, s in enumerate(specials[:MAX_SPECIAL_DAYS]):
        field = f"specials.{i}"
        check_in_window(s.day, f"{field}.date", collector)
        if (earlier := first_of.setdefault(s.day, i)) != i:
            message = f"{s.day.isoformat()} is already given (specials.{earlier}): one entry a day"
            collector.add(f"{field}.date", ErrorCode.DUPLICATE, message)
        if len(s.note) > MAX_NOTE:
            collector.add(
                f"{field}.note",
                ErrorCode.TOO_LONG,
                too_long(MAX_NOTE, f"Notes are at most {MAX_NOTE} characters"),
            )
        check_visible_text(s.note, f"{field}.note", collector)
        if len(s.ranges) > MAX_RANGES_PER_DAY:
            many = at_most(f"At most {MAX_RANGES_PER_DAY} ranges a day", MAX_RANGES_PER_DAY)
            collector.add(f"{field}.ranges", ErrorCode.OUT_OF_RANGE, many)
            continue
        checked = [(j, _range(x, f"{field}.ranges.{j}", collector)) for j, x in enumerate(s.ranges)]
        ranges = {j: r for j, r in checked if r is not None}
        for later, earlier in _overlaps([(o, end_of(o, c), j) for j, (o, c) in ranges.items()]):
            collector.add(
                f"{field}.ranges.{later}",
                ErrorCode.INVALID_TIME_RANGE,
                f"{_clock_range(*ranges[later])} overlaps {_clock_range(*ranges[earlier])}"
                f" ({field}.ranges.{earlier}): ranges must not overlap, make them one range",
            )
        if s.day >= today - timedelta(1):  # yesterday's overnight range still matters today
            days[s.day.isoformat()] = {"ranges": list(ranges.values()), "note": s.note.strip()}
    collector.raise_if_any()
    return rows, days


async def set_opening_hours(
    ctx: Context,
    restaurant_id: int,
    timezone: str | None,
    weekly: list[WeeklyRange] | None,
    specials: list[SpecialDay] | None,
) -> Restaurant:
    """Replace the restaurant's weekly hours, its special days, or both (staff only); a part
    given as None stays as stored (adding 春节休息 must not erase the week), and the zone, if
    given, changes with them."""
    viewer = await write_limit(ctx, "restaurant")
    restaurant = await require_staff(viewer, restaurant_id)
    zone = timezone if timezone in time_zones() else restaurant.timezone  # a bad one is reported below
    today = datetime.now(zoneinfo.ZoneInfo(zone)).date()
    rows, days = check_hours(timezone, weekly or [], specials or [], today)
    async with in_transaction("default"):
        # One writer at a time per restaurant: two staff saving the first hours at once both
        # found no row and both inserted it (a unique-key 500 on PostgreSQL).
        await lock_row("restaurants", restaurant_id, "id", strength="NO KEY UPDATE")
        if timezone is not None and timezone != restaurant.timezone:
            restaurant.timezone = timezone
            await restaurant.save(update_fields=["timezone"])
        stored = await OpeningHours.get_or_none(restaurant_id=restaurant_id)
        if stored is not None:
            stored.weekly = rows if weekly is not None else stored.weekly
            stored.specials = days if specials is not None else stored.specials
            await stored.save(update_fields=["weekly", "specials"])
        elif weekly is not None or specials is not None:  # a zone alone sets no hours (none: never closed)
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


CLOSED_THEN = "The restaurant is closed at that time"


def closed_then(found: Hours | None, at: datetime) -> bool:
    """Whether these hours (`load_hours`' answer) say the place is closed at `at` (none: never)."""
    return found is not None and not is_open(found.schedule, found.zone, at)


async def closed_at(restaurant_id: int, at: datetime) -> bool:
    """Whether the restaurant's own hours say it is closed at `at` (no hours: never)."""
    [found] = await load_hours([restaurant_id])
    return closed_then(found, at)


async def refuse_if_closed(restaurant_id: int, at: datetime, field: str) -> None:
    """RESTAURANT_CLOSED when the restaurant is closed at `at` by its own hours: a table set for
    a Monday it never opens sent its guests to a closed door."""
    if await closed_at(restaurant_id, at):
        raise UserInputError(ErrorCode.RESTAURANT_CLOSED, CLOSED_THEN, field)


async def open_flags(restaurant_ids: Sequence[int], now: datetime | None = None) -> dict[int, bool]:
    """Open at `now` for each restaurant (False when it has no hours): search's "open now"."""
    at = now or datetime.now(UTC)
    ids = list(dict.fromkeys(restaurant_ids))
    if not ids:
        return {}
    hours = await load_hours(ids)
    return {rid: h is not None and is_open(h.schedule, h.zone, at) for rid, h in zip(ids, hours, strict=True)}
