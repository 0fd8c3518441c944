"""Keeps the insights rollup (models/insights.py) on write: each view, issued voucher and
redemption adds one to its restaurant's (local day, local hour, source) row.

The add is one upsert (`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`, PostgreSQL and
SQLite alike), so parallel writers never lose a count; inside the caller's transaction, so a
redemption rolled back is not counted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from core.atomic import execute
from models.deals import Claim, SourceType
from models.restaurants import Restaurant

UPSERT = (
    "INSERT INTO deal_daily_stats (restaurant_id, day, hour, source_type, views, claims, redemptions, "
    "revenue_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (restaurant_id, day, hour, source_type) DO UPDATE SET "
    "views = deal_daily_stats.views + excluded.views, "
    "claims = deal_daily_stats.claims + excluded.claims, "
    "redemptions = deal_daily_stats.redemptions + excluded.redemptions, "
    "revenue_cents = deal_daily_stats.revenue_cents + excluded.revenue_cents"
)


async def time_zone(restaurant_id: int) -> str:
    """The restaurant's IANA zone (UTC when it has none, or no longer exists)."""
    zones = await Restaurant.filter(id=restaurant_id).values_list("timezone", flat=True)
    return zones[0] if zones and zones[0] else "UTC"


async def slot(restaurant_id: int, at: datetime, zone: str | None = None) -> tuple[date, int]:
    """The restaurant's local day and hour of `at`: the rollup row it counts in."""
    local = at.astimezone(ZoneInfo(zone or await time_zone(restaurant_id)))
    return local.date(), local.hour


async def bump(
    restaurant_id: int,
    source: SourceType,
    *,
    at: datetime | None = None,
    zone: str | None = None,
    views: int = 0,
    claims: int = 0,
    redemptions: int = 0,
    revenue_cents: int = 0,
) -> None:
    local = (at or datetime.now(UTC)).astimezone(ZoneInfo(zone or await time_zone(restaurant_id)))
    await execute(
        UPSERT,
        [restaurant_id, local.date(), local.hour, source.value, views, claims, redemptions, revenue_cents],
    )


async def issued(claim_id: int) -> None:
    """A voucher was issued (free at claim, prepaid when the payment lands)."""
    row = await Claim.filter(id=claim_id).values("deal__restaurant_id", "source_type")
    if row:
        await bump(row[0]["deal__restaurant_id"], SourceType(row[0]["source_type"]), claims=1)
