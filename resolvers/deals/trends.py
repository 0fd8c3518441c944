"""Merchant trends from the rollup (models/insights.py): daily series and a redemption heatmap.

Read cost is bounded by the rollup, not by traffic: at most one row per local hour and source
with any activity, summed in SQL per (day, source) and per (day, hour); a year of a busy
restaurant is a few thousand grouped rows. Days are the restaurant's local days, [from, to].
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from tortoise.functions import Sum

from core.context import Context
from core.error_text import explained
from core.errors import AuthError, BadRequestError, UserInputError
from core.replica import read_db
from core.schedule import require_in_window
from models.deals import SourceType
from models.insights import DealDailyStat
from resolvers.deals.rollup import time_zone
from resolvers.restaurants.access import require_staff

MAX_DAYS = 366
COUNTERS = ("views", "claims", "redemptions", "revenue_cents")


@dataclass
class Counts:
    views: int = 0
    claims: int = 0
    redemptions: int = 0
    revenue_cents: int = 0

    def add(self, row: dict) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + int(row[f"sum_{name}"] or 0))


@dataclass
class Day:
    date: date
    totals: Counts = field(default_factory=Counts)
    by_source: dict[SourceType, Counts] = field(default_factory=dict)


@dataclass
class Trends:
    zone: str
    days: list[Day]
    heatmap: list[tuple[tuple[int, int], int]]


async def restaurant_trends(ctx: Context, restaurant_id: int, start: date, end: date) -> Trends:
    viewer = ctx.require_viewer()
    try:
        await require_staff(viewer, restaurant_id, archived_too=True)
    except UserInputError:
        raise AuthError("FORBIDDEN", "Only this restaurant's owner and staff see its insights") from None
    require_in_window(start, "from")
    require_in_window(end, "to")
    if end < start or (end - start).days >= MAX_DAYS:
        english = f"`to` must be on or after `from`, at most {MAX_DAYS} days"
        raise BadRequestError(explained(english, "BAD_USER_INPUT.period", days=MAX_DAYS))
    db = read_db(ctx)
    rows = DealDailyStat.filter(restaurant_id=restaurant_id, day__gte=start, day__lte=end).using_db(db)
    sums = {f"sum_{name}": Sum(name) for name in COUNTERS}
    per_source = (
        await rows.annotate(**sums).group_by("day", "source_type").values("day", "source_type", *sums)
    )
    per_hour = (
        await DealDailyStat.filter(
            restaurant_id=restaurant_id, day__gte=start, day__lte=end, redemptions__gt=0
        )
        .using_db(db)
        .annotate(n=Sum("redemptions"))
        .group_by("day", "hour")
        .values("day", "hour", "n")
    )
    days = {
        start + timedelta(days=i): Day(date=start + timedelta(days=i)) for i in range((end - start).days + 1)
    }
    for row in per_source:
        day = days[_as_date(row["day"])]
        day.totals.add(row)
        day.by_source.setdefault(SourceType(row["source_type"]), Counts()).add(row)
    heat: Counter[tuple[int, int]] = Counter()
    for row in per_hour:
        heat[(_as_date(row["day"]).isoweekday(), int(row["hour"]))] += int(row["n"] or 0)
    return Trends(zone=await time_zone(restaurant_id), days=list(days.values()), heatmap=sorted(heat.items()))


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
