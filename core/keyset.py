"""Keyset pagination over any sort order: a cursor holds the sort key of the last row seen.

A page orders by `keys` (`ordering`; the last must be unique, e.g. id) and starts after the
cursor (`cursor_values`) with the usual expansion (`after_q`): k1 beyond, or k1 equal and k2
beyond, ... Stable under inserts, one indexed query per page, no OFFSET. `page_of` turns the
`size + 1` rows read into the page. (The pieces are apart so a list can render its statement
once per shape with `Slot`s for the cursor's values: resolvers/reviews/listing.py.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q

from core.errors import BadRequestError
from core.pagination import Page, cursor_time, decode_cursor, encode_cursor


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool = True
    kind: type = int  # int | bool | datetime: how the cursor's value is read back


def _value(key: Key, raw: Any) -> Any:
    if key.kind is datetime and isinstance(raw, str):
        return cursor_time(raw)
    if key.kind is bool and isinstance(raw, bool):
        return raw
    if key.kind is int and isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise ValueError(raw)


def after_q(keys: Sequence[Key], values: Sequence[Any]) -> Q:
    """Rows beyond the cursor's `values` (or `Slot`s of them, core/loaders.py)."""
    levels: list[Q] = []
    equal: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=True):
        beyond = {f"{key.field}__{'lt' if key.descending else 'gt'}": value}
        levels.append(Q(**equal, **beyond))
        equal[key.field] = value
    return Q(*levels, join_type="OR")


def cursor_values(keys: Sequence[Key], after: str | None) -> list[Any] | None:
    """The sort key values the cursor holds (None: from the start)."""
    raw = decode_cursor(after, len(keys))
    if raw is None:
        return None
    try:
        return [_value(key, v) for key, v in zip(keys, raw, strict=True)]
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None


def ordering(keys: Sequence[Key]) -> list[str]:
    return [f"{'-' if key.descending else ''}{key.field}" for key in keys]


def page_of(rows: Sequence[Any], keys: Sequence[Key], size: int) -> Page[Any]:
    """The page from up to `size + 1` rows read in order (the extra one: there is a next page)."""
    items = list(rows[:size])
    return Page(
        items=items,
        cursors=[encode_cursor([getattr(row, key.field) for key in keys]) for row in items],
        has_next_page=len(rows) > size,
    )
