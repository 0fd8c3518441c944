"""Search documents: one row per searchable restaurant or dish, tokens kept on every write.

The tokens (models/search_tokens.py) are stored as space-joined text in a portable model; the
migration adds the backend's index over them: on PostgreSQL stored generated `text[]` columns
with a GIN index (queried with `@>`), on SQLite an external-content FTS5 table kept in step by
triggers (queried with `MATCH`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from tortoise import fields

from models.base import Model


class SearchDoc(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # "restaurant" | "dish"
    object_id = fields.BigIntField()
    restaurant_id = fields.BigIntField(db_index=True)
    name_tokens = fields.TextField(default="")
    tokens = fields.TextField(default="")
    # Restaurants: mean menu price (cents) and its level 1-4; dishes: their price, level 0.
    price_cents = fields.IntField(default=0)
    price_level = fields.SmallIntField(default=0)
    # Sort keys, copied by triggers from the counters they mirror (migration 0002): a dish's
    # rating sum / review count, a restaurant's weighted sum / weight total (restaurant_ratings).
    rating_sum = fields.IntField(default=0, db_default=0)
    rating_weight = fields.IntField(default=0, db_default=0)
    review_count = fields.IntField(default=0, db_default=0)

    class Meta:
        table = "search_docs"
        unique_together = (("kind", "object_id"),)


# ------------------------------------------------------------------ what a document holds
# Shared by the resolvers (on every write) and the migration (backfill), so both index alike.

PRICE_LEVEL_CEILINGS = (5_000, 10_000, 20_000)  # mean menu price, cents: ¥50 / ¥100 / ¥200


def price_level(mean_cents: int | None) -> int:
    """1 (under ¥50) .. 4 (¥200 and up); 0 for a restaurant without a menu."""
    if not mean_cents:
        return 0
    return 1 + sum(mean_cents >= ceiling for ceiling in PRICE_LEVEL_CEILINGS)


def restaurant_doc(name: str, search_text: str, dish_names: list[str]) -> dict[str, object]:
    """A restaurant is found by its name, address, cuisines (search_text) and its dishes, and by
    its name in pinyin (its dishes' pinyin is on the dishes' documents: a menu of 100 spelled
    names would be thousands of tokens)."""
    from models.search_tokens import index_tokens, joined

    body = " ".join([name, search_text, *dish_names])
    named = index_tokens(name, pinyin=True)
    return {"name_tokens": joined(named), "tokens": joined(list(dict.fromkeys(index_tokens(body) + named)))}


def dish_doc(name: str, tags: list[str], description: str, restaurant_name: str) -> dict[str, object]:
    """A dish is found by its name, tags, description and its restaurant's name, and by both
    names in pinyin."""
    from models.search_tokens import index_tokens, joined

    body = " ".join([name, *tags, description, restaurant_name])
    named = index_tokens(name, pinyin=True)
    spelled = index_tokens(restaurant_name, pinyin=True)
    tokens = dict.fromkeys(index_tokens(body) + named + spelled)
    return {"name_tokens": joined(named), "tokens": joined(list(tokens))}


async def documents(client: Any) -> AsyncIterator[tuple[str, int, int, dict, int, int]]:
    """Every document as written now, from the tables (for migrations: backfill and rebuilds):
    (kind, object id, restaurant id, tokens, price in cents, price level)."""
    restaurants = await client.execute_query_dict("SELECT id, name, search_text FROM restaurants")
    dishes = await client.execute_query_dict(
        "SELECT id, restaurant_id, name, tags, description, price_cents FROM dishes WHERE archived = false"
    )
    menus: dict[int, list[dict]] = {}
    for dish in dishes:
        menus.setdefault(dish["restaurant_id"], []).append(dish)
    for r in restaurants:
        menu = menus.get(r["id"], [])
        mean = sum(d["price_cents"] for d in menu) // len(menu) if menu else 0
        doc = restaurant_doc(r["name"], r["search_text"], [d["name"] for d in menu])
        yield "restaurant", r["id"], r["id"], doc, mean, price_level(mean)
        for d in menu:
            tags = d["tags"] if isinstance(d["tags"], list) else json.loads(d["tags"] or "[]")
            doc = dish_doc(d["name"], tags, d["description"], r["name"])
            yield "dish", d["id"], r["id"], doc, d["price_cents"], 0
