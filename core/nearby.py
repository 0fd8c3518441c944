"""Things that happen at restaurants (meals, events, deals) near a point, nearest first.

The spatial index holds restaurants; the rows at the nearest restaurants within the radius are
sorted by (distance, start, id) and paged with keyset cursors on that key. `totalCount` is one
COUNT of the same query over the same restaurants, run only when a client selects it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from core.context import Context
from core.error_text import between
from core.errors import BadRequestError, Collector, ErrorCode
from core.pagination import Page, decode_cursor, encode_cursor, page_size

RESTAURANT_KIND = "restaurant"
MAX_RADIUS_KM = 50.0
MIN_RADIUS_KM = 0.01  # 10 m: below it a radius is no question (5e-324 once looped the ring search forever)
MAX_RESTAURANTS = 1000
MAX_ROWS = 2000  # candidate rows read per page (the nearest MAX_RESTAURANTS restaurants' rows)
T = TypeVar("T")


def check_radius(radius_km: float) -> None:
    """One bound for every "within radius" question (people, places, meals, events, deals)."""
    if not MIN_RADIUS_KM <= radius_km <= MAX_RADIUS_KM:
        raise BadRequestError(f"radiusKm must be within [{MIN_RADIUS_KM:g}, {MAX_RADIUS_KM:g}]")


async def near(
    ctx: Context,
    lat: float,
    lng: float,
    radius_km: float,
    select: Callable[[list[int]], Any],
    start_of: Callable[[T], datetime],
    first: int | None,
    after: str | None,
) -> Page[tuple[T, float]]:
    """`select(restaurant_ids)` is the query of candidate rows (each with `restaurant_id` and
    `id`): read for the page, counted for `totalCount`."""
    check_coordinates(lat, lng)
    check_radius(radius_km)
    size = page_size(first)
    key = decode_cursor(after, 3)
    start: tuple[float, str, int] | None = None
    if key is not None:
        try:
            start = (float(key[0]), str(key[1]), int(key[2]))
        except (TypeError, ValueError):
            raise BadRequestError("Malformed cursor") from None
    hits = await ctx.services.geo.within(RESTAURANT_KIND, lat, lng, radius_km, limit=MAX_RESTAURANTS)
    distance = {h.object_id: h.distance_km for h in hits}
    rows: Sequence[T] = await select(list(distance)).limit(MAX_ROWS)

    def sort_key(row: Any) -> tuple[float, str, int]:
        return (round(distance[row.restaurant_id], 6), start_of(row).isoformat(), row.id)

    ordered = sorted(rows, key=sort_key)
    if start is not None:
        ordered = [row for row in ordered if sort_key(row) > start]
    window = ordered[:size]
    return Page(
        items=[(row, distance[row.restaurant_id]) for row in window],
        cursors=[encode_cursor(list(sort_key(row))) for row in window],
        has_next_page=len(ordered) > size,
        count=select(list(distance)).count,
    )


def check_coordinates(lat: float, lng: float, prefix: str = "") -> None:
    collector = Collector()
    if not -90 <= lat <= 90:
        collector.add(
            f"{prefix}lat", ErrorCode.OUT_OF_RANGE, between("Latitude must be within -90..90", -90, 90)
        )
    if not -180 <= lng <= 180:
        collector.add(
            f"{prefix}lng", ErrorCode.OUT_OF_RANGE, between("Longitude must be within -180..180", -180, 180)
        )
    collector.raise_if_any()
