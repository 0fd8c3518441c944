"""Search documents: one row per searchable restaurant or dish, tokens kept on every write.

The tokens (models/search_tokens.py) are stored as space-joined text in a portable model; the
migration adds the backend's index over them: on PostgreSQL stored generated `text[]` columns
with a GIN index (queried with `@>`), on SQLite an external-content FTS5 table kept in step by
triggers (queried with `MATCH`).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


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
    """A restaurant is found by its name, address, cuisines (search_text) and its dishes."""
    from models.search_tokens import index_tokens, joined

    body = " ".join([name, search_text, *dish_names])
    return {"name_tokens": joined(index_tokens(name)), "tokens": joined(index_tokens(body))}


def dish_doc(name: str, tags: list[str], description: str, restaurant_name: str) -> dict[str, object]:
    """A dish is found by its name, tags, description and its restaurant's name."""
    from models.search_tokens import index_tokens, joined

    body = " ".join([name, *tags, description, restaurant_name])
    return {"name_tokens": joined(index_tokens(name)), "tokens": joined(index_tokens(body))}
