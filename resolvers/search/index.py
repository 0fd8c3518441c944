"""Keeps search documents in step with restaurants and dishes, in the writer's transaction.

A restaurant's document holds its dishes' names and its mean menu price, and a dish's holds its
restaurant's name, so any write to either rebuilds the restaurant's documents together (a menu
is small). An upsert on (kind, object_id) makes concurrent rebuilds safe.

The sort keys (rating sums, review count) are the triggers' to keep (search migration 0002): a
new document takes them from its counters, an existing one keeps them. Dish documents are written
before the restaurant's, the order a review's transaction locks them in (dish, then restaurant
counters), so a menu edit and a review never wait on each other in a cycle.
"""

from __future__ import annotations

from models.restaurants import Dish, Restaurant
from models.search import SearchDoc, dish_doc, price_level, restaurant_doc
from resolvers.search.sql import Params, is_postgres

# Where a new document's sort keys come from: (rating sum, rating weight, review count).
COUNTERS = {
    "dish": ("rating_sum", "review_count", "review_count", "dishes", "id"),
    "restaurant": ("weighted_sum", "weight_total", "review_count", "restaurant_ratings", "restaurant_id"),
}
UPSERT = (
    "INSERT INTO search_docs (kind, object_id, restaurant_id, name_tokens, tokens, price_cents, "
    "price_level, rating_sum, rating_weight, review_count) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
    "ON CONFLICT (kind, object_id) DO UPDATE SET "
    "restaurant_id = excluded.restaurant_id, name_tokens = excluded.name_tokens, "
    "tokens = excluded.tokens, price_cents = excluded.price_cents, price_level = excluded.price_level"
)


async def _upsert(kind: str, object_id: int, restaurant_id: int, doc: dict, price: int, level: int) -> None:
    from tortoise import connections

    p = Params(is_postgres())
    values = [kind, object_id, restaurant_id, doc["name_tokens"], doc["tokens"], price, level]
    *sums, table, key = COUNTERS[kind]
    counters = ", ".join(
        f"COALESCE((SELECT {column} FROM {table} WHERE {key} = {int(object_id)}), 0)" for column in sums
    )
    sql = UPSERT.format(*(p(v) for v in values), counters)
    await connections.get("default").execute_query(sql, p.values)


async def reindex_restaurant(restaurant_id: int) -> None:
    """Rebuild the documents of a restaurant and of its dishes (archived dishes leave)."""
    restaurant = await Restaurant.get_or_none(id=restaurant_id)
    if restaurant is None:
        await SearchDoc.filter(restaurant_id=restaurant_id).delete()
        return
    menu = await Dish.filter(restaurant_id=restaurant_id, archived=False).order_by("id")
    mean = sum(d.price_cents for d in menu) // len(menu) if menu else 0
    for dish in menu:
        doc = dish_doc(dish.name, list(dish.tags or []), dish.description, restaurant.name)
        await _upsert("dish", dish.id, restaurant.id, doc, dish.price_cents, 0)
    doc = restaurant_doc(restaurant.name, restaurant.search_text, [d.name for d in menu])
    await _upsert("restaurant", restaurant.id, restaurant.id, doc, mean, price_level(mean))
    await SearchDoc.filter(restaurant_id=restaurant_id, kind="dish").exclude(
        object_id__in=[d.id for d in menu]
    ).delete()
