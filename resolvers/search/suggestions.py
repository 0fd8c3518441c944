"""搜索联想: what the search box offers as the diner types, before they press search.

Three kinds, as Dianping's box lists them: cuisines whose tag, Chinese label or its pinyin holds
what was typed (in memory), restaurants whose *name* holds it (most reviewed first, within a
city's reach of the diner when a point is given), and dish names (each name once: 麻婆豆腐 on
forty menus is one suggestion), all through the search tokenizer, so `hg`, `huoguo`, `火鍋` and
`火锅` suggest alike. Typing that holds no searchable word yet (one Latin letter, punctuation)
suggests nothing rather than failing; too long or hidden characters fail as search does.
Reads: the radius lookup once (with a point), then per kind the search statement (PostgreSQL:
the capped read, and the exact one when a rare word comes up short) and the names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from core.context import Context
from core.error_text import between
from core.errors import ErrorCode, UserInputError
from models.restaurants import Dish, Restaurant
from models.search_tokens import index_tokens, query_tokens
from resolvers.foodies.tastes import CUISINES
from resolvers.search.search import MAX_QUERY_CHARS, Criteria, Sort, around, check_criteria, search

MAX_SUGGESTIONS = 20
CUISINE_SUGGESTIONS = 2
RESTAURANT_SUGGESTIONS = 5
DISH_CANDIDATES = 20  # dish hits read to find distinct names among them
CITY_KM = 30.0  # a point narrows suggestions to what is within reach


@dataclass
class Suggestion:
    kind: str  # "cuisine" | "restaurant" | "dish"
    text: str
    cuisine: str | None = None
    restaurant: Restaurant | None = None


@cache
def _cuisine_tokens() -> list[tuple[str, str, frozenset[str]]]:
    return [
        (tag, label, frozenset(index_tokens(f"{tag} {label}", pinyin=True)))
        for tag, label in CUISINES.items()
    ]


async def suggest(
    ctx: Context, query: str, lat: float | None, lng: float | None, first: int | None
) -> list[Suggestion]:
    size = first if first is not None else 10
    if not 1 <= size <= MAX_SUGGESTIONS:
        raise UserInputError(
            ErrorCode.OUT_OF_RANGE, between(f"first is 1 to {MAX_SUGGESTIONS}", 1, MAX_SUGGESTIONS), "first"
        )
    wanted = set(query_tokens(query))
    if not wanted and len(query) <= MAX_QUERY_CHARS:
        return []
    near = lat is not None and lng is not None
    criteria = Criteria(
        query=query,
        lat=lat,
        lng=lng,
        radius_km=CITY_KM if near else None,
        sort=Sort.POPULARITY,
        names_only=True,
    )
    check_criteria(criteria)
    near = await around(ctx, criteria)  # once for both kinds
    places = await search(ctx, "restaurant", replace(criteria), RESTAURANT_SUGGESTIONS, None, near)
    out = [
        Suggestion("cuisine", label, cuisine=tag)
        for tag, label, tokens in _cuisine_tokens()
        if wanted <= tokens
    ][:CUISINE_SUGGESTIONS]
    found = {r.id: r for r in await Restaurant.filter(id__in=[hit.id for hit in places.items])}
    out += [
        Suggestion("restaurant", found[h.id].name, restaurant=found[h.id])
        for h in places.items
        if h.id in found
    ]
    if len(out) < size:
        dishes = await search(ctx, "dish", replace(criteria), DISH_CANDIDATES, None, near)
        names = dict(await Dish.filter(id__in=[hit.id for hit in dishes.items]).values_list("id", "name"))
        shown = {s.text for s in out}
        for hit in dishes.items:
            name = names.get(hit.id)
            if name and name not in shown:
                shown.add(name)
                out.append(Suggestion("dish", name))
    return out[:size]
