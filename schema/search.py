"""Search queries: dishes (restaurants: `searchRestaurants` in schema/restaurants.py)."""

from __future__ import annotations

from enum import Enum

import strawberry

from resolvers.search import search, suggestions
from schema.context import Info
from schema.pagination import Connection, to_connection
from schema.restaurants import DishNode, RestaurantNode, SearchSort


@strawberry.enum(description="What a search suggestion names.")
class SuggestionKind(Enum):
    CUISINE = "cuisine"
    RESTAURANT = "restaurant"
    DISH = "dish"


@strawberry.type(description="搜索联想: one line under the search box.")
class SearchSuggestion:
    kind: SuggestionKind
    text: str = strawberry.field(description="What to show, and to search for when it is picked.")
    cuisine: str | None = strawberry.field(
        description="CUISINE: the tag to pass as searchRestaurants(cuisine:)."
    )
    restaurant: RestaurantNode | None = strawberry.field(
        description="RESTAURANT: the place, to open its page."
    )


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

    @strawberry.field(
        description="搜索联想 as the diner types: cuisines, restaurants by name (most reviewed first; "
        "within reach of lat/lng when given) and dish names, in Chinese, English or pinyin "
        "(`hdl`, `huoguo`). Nothing yet for one Latin letter."
    )
    async def search_suggestions(
        self,
        info: Info,
        query: str,
        lat: float | None = None,
        lng: float | None = None,
        first: int | None = 10,
    ) -> list[SearchSuggestion]:
        found = await suggestions.suggest(info.context, query, lat, lng, first)
        return [
            SearchSuggestion(
                kind=SuggestionKind(s.kind),
                text=s.text,
                cuisine=s.cuisine,
                restaurant=RestaurantNode.from_model(s.restaurant) if s.restaurant else None,
            )
            for s in found
        ]
