"""Search queries: dishes (restaurants: `searchRestaurants` in schema/restaurants.py)."""

from __future__ import annotations

import strawberry

from resolvers.search import search
from schema.context import Info
from schema.pagination import Connection, to_connection
from schema.restaurants import DishNode, SearchSort


@strawberry.type
class Query:
    @strawberry.field(
        description="Dishes by Chinese or English words (every word must match the dish's name, "
        "tags, description or restaurant name; 2-character words such as 麻婆 work), with filters."
    )
    async def search_dishes(
        self,
        info: Info,
        query: str,
        lat: float | None = None,
        lng: float | None = None,
        radius_km: float | None = None,
        open_now: bool | None = None,
        price_levels: list[int] | None = None,
        max_price_cents: int | None = None,
        has_live_deal: bool | None = None,
        min_rating: float | None = None,
        sort: SearchSort | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DishNode]:
        c = search.Criteria(
            query=query,
            lat=lat,
            lng=lng,
            radius_km=radius_km,
            open_now=bool(open_now),
            price_levels=price_levels,
            max_price_cents=max_price_cents,
            has_live_deal=bool(has_live_deal),
            min_rating=min_rating,
            sort=sort or search.Sort.RELEVANCE,
        )
        page = await search.search_dishes(info.context, c, first, after)
        return to_connection(page, DishNode.from_model)
