"""A deal and its restaurant in one statement rendered once per process (issue 18).

Every claim the gate lets through reads its deal fresh with the restaurant. Through Tortoise
(`Deal.filter(id=...).select_related("restaurant").first()`) most of that read's CPU was building
the same SQL again (the select_related join and pypika's rendering: ~60 % of it in the claim
profile, bench/README §14.4); the statement only differs by the id, so it is a read rendered
once per shape (core/loaders `by_ids` with the restaurant joined), the restaurant attached as
`select_related` attaches it.
"""

from __future__ import annotations

from core.loaders import Join, by_ids
from models.deals import Deal
from models.restaurants import Restaurant

_RESTAURANT = (Join("r", Restaurant, '"r"."id" = "base"."restaurant_id"'),)


async def deal_with_restaurant(deal_id: int) -> Deal | None:
    """The deal as the database has it now, its `restaurant` loaded; None if there is none."""
    found = await by_ids(Deal).joined(1, {"ids": [deal_id]}, _RESTAURANT, '"base"."id"')
    if not found:
        return None
    deal, joined = found[0]
    object.__setattr__(deal, "_restaurant", joined["r"])
    return deal
