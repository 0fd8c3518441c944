"""A deal and its restaurant in one statement whose SQL is built once per process (issue 18).

Every claim the gate lets through reads its deal fresh with the restaurant. Through Tortoise
(`Deal.filter(id=...).select_related("restaurant").first()`) most of that read's CPU was building
the same SQL again (the select_related join and pypika's rendering: ~60 % of it in the claim
profile, bench/README §14.4); the statement only differs by the id, so its text is kept per
dialect and the rows are built as Tortoise builds the rows it reads (`_init_from_db`, the same
converters per field and backend), the restaurant attached as `select_related` attaches it.
"""

from __future__ import annotations

from functools import cache

from tortoise import connections

from core.loaders import Join, _outer, _row
from models.deals import Deal
from models.restaurants import Restaurant

# The deal is the statement's "base" row, its restaurant joined as "r" (core/loaders' shapes).
_JOINS = (Join("r", Restaurant, '"r"."id" = "base"."restaurant_id"'),)


@cache
def _sql(dialect: str) -> str:
    columns, tables, _ = _outer(Deal, _JOINS)
    placeholder = "$1" if dialect == "postgres" else "?"
    return f'SELECT {columns} FROM "{Deal._meta.db_table}" "base" {tables} WHERE "base"."id" = {placeholder}'


async def deal_with_restaurant(deal_id: int) -> Deal | None:
    """The deal as the database has it now, its `restaurant` loaded; None if there is none."""
    db = connections.get("default")
    rows = await db.execute_query_dict(_sql(db.capabilities.dialect), [deal_id])
    if not rows:
        return None
    _, _, (deal_part, restaurant_part) = _outer(Deal, _JOINS)
    deal = _row(deal_part, rows[0])
    object.__setattr__(deal, "_restaurant", _row(restaurant_part, rows[0]))
    return deal
