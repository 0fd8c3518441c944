"""Opening hours logic: open now, opens at, in the restaurant's own zone (pure functions).

Hours are wall-clock minutes (0..1440) on a local date; a range whose close is not after its
open runs past midnight into the next date (18:00-02:00). 00:00-00:00 (ALL_DAY) is therefore
the whole date, 24 hours (24小时营业), as is 00:00-24:00: open at every minute, so `opens_at` is
None all day (opening.py accepts no other range whose close equals its open, and no overlapping
ranges). A special day (holiday hours or a closure) replaces that date's weekly ranges; a
range of the day before that runs past midnight still counts (Friday 18:00-02:00 keeps a place
open early on a closed Saturday). Wall-clock times that a DST change skips simply never happen;
opens_at only returns instants when the place is in fact open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 1440
WEEK_DAYS = 7
LOOKAHEAD_DAYS = 15

Range = tuple[int, int]
ALL_DAY: Range = (0, 0)  # 00:00-00:00: open the whole date


def end_of(opens: int, closes: int) -> int:
    """Where a range ends on its own date's timeline: past DAY when it runs past midnight
    (18:00-02:00 ends at 1560; 00:00-00:00 at 1440, the whole date)."""
    return closes if closes > opens else closes + DAY


@dataclass(frozen=True)
class Schedule:
    weekly: tuple[tuple[int, int, int], ...] = ()  # (weekday, opens, closes)
    specials: dict[str, tuple[Range, ...]] = field(default_factory=dict)  # iso date -> ranges
    notes: dict[str, str] = field(default_factory=dict)  # iso date -> why (shown, not used)

    @classmethod
    def from_row(cls, weekly: list, specials: dict) -> Schedule:
        days = {
            day: tuple((int(o), int(c)) for o, c in spec.get("ranges", [])) for day, spec in specials.items()
        }
        notes = {day: str(spec.get("note", "")) for day, spec in specials.items()}
        return cls(tuple((int(d), int(o), int(c)) for d, o, c in weekly), days, notes)

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        special = self.specials.get(day.isoformat())
        if special is not None:
            return special
        weekday = day.weekday()
        return tuple((o, c) for d, o, c in self.weekly if d == weekday)


def _minute(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6


def is_open(schedule: Schedule, zone: str, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(zone))
    today, minute = local.date(), _minute(local)
    for opens, closes in schedule.ranges_on(today):
        if opens <= minute < min(end_of(opens, closes), DAY):
            return True
    yesterday = schedule.ranges_on(today - timedelta(1))
    return any(closes <= opens and minute < closes for opens, closes in yesterday)


def _wall(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time first happens; one a DST gap skips (02:30 on a spring-forward
    night) happens when the clocks jump past it."""
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    naive = wall.replace(tzinfo=None)
    if wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive:
        return wall  # fold=0: the earlier of two when the clocks fall back
    instant = wall.replace(fold=1).astimezone(UTC)  # before the gap
    while instant.astimezone(zone).replace(tzinfo=None) < naive:
        instant += timedelta(minutes=1)
    return instant.astimezone(zone)


def opens_at(schedule: Schedule, zone: str, at: datetime) -> datetime | None:
    """The next opening after `at` (in the restaurant's zone), None when open now or not within
    LOOKAHEAD_DAYS."""
    if is_open(schedule, zone, at):
        return None
    tz = ZoneInfo(zone)
    today = at.astimezone(tz).date()
    for offset in range(LOOKAHEAD_DAYS):
        day = today + timedelta(offset)
        starts = sorted(_wall(day, opens, tz) for opens, _ in schedule.ranges_on(day) if opens < DAY)
        for start in starts:
            # A DST gap can move a wall time: keep only instants that are really open.
            if start > at and is_open(schedule, zone, start):
                return start
    return None
