"""Keyset pagination over any sort order: a cursor holds the sort key of the last row seen.

`keyset_page(query, keys, first, after)` orders by `keys` (the last must be unique, e.g. id) and
starts after the cursor with the usual expansion: k1 beyond, or k1 equal and k2 beyond, ...
Stable under inserts, one indexed query per page, no OFFSET.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from core.errors import BadRequestError
from core.pagination import Page, decode_cursor, encode_cursor, page_size


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool = True
    kind: type = int  # int | bool | datetime: how the cursor's value is read back


def _value(key: Key, raw: Any) -> Any:
    if key.kind is datetime and isinstance(raw, str):
        return datetime.fromisoformat(raw)
    if key.kind is bool and isinstance(raw, bool):
        return raw
    if key.kind is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise ValueError(raw)


def _after(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    levels: list[Q] = []
    equal: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=True):
        beyond = {f"{key.field}__{'lt' if key.descending else 'gt'}": value}
        levels.append(Q(**equal, **beyond))
        equal[key.field] = value
    return Q(*levels, join_type="OR")


async def keyset_page(query: Any, keys: Sequence[Key], first: int | None, after: str | None) -> Page[Any]:
    size = page_size(first)
    raw = decode_cursor(after, len(keys))
    if raw is not None:
        try:
            values = [_value(key, v) for key, v in zip(keys, raw, strict=True)]
        except (TypeError, ValueError):
            raise BadRequestError("Malformed cursor") from None
        query = query.filter(_after(keys, values))
    order = [f"{'-' if key.descending else ''}{key.field}" for key in keys]
    rows = await query.order_by(*order).limit(size + 1)
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor([getattr(row, key.field) for key in keys]) for row in items],
        has_next_page=len(rows) > size,
    )
