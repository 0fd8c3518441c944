"""Keyset pagination: opaque cursors that encode the sort key of the last row seen."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson

from core.errors import BadRequestError
from core.schedule import FIRST_YEAR, LAST_YEAR

MAX_PAGE = 100
DEFAULT_PAGE = 20
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool
    # Where the next page starts when rows read for this page were left out (not visible):
    # without it a page of only hidden rows says "more" but gives no cursor to get there.
    resume_after: str | None = None
    # Counts every row of the list (not just this page), run only if a client asks (totalCount).
    # Left out by `only`: a list filtered after the query has no SQL count.
    count: Callable[[], Awaitable[int]] | None = None

    @property
    def end_cursor(self) -> str | None:
        return self.resume_after or (self.cursors[-1] if self.cursors else None)

    def only(self, keep: Sequence[bool]) -> Page[T]:
        """This page without the rows `keep` drops; the next page still starts after them."""
        rows = zip(self.items, self.cursors, keep, strict=True)
        pairs = [(item, cursor) for item, cursor, ok in rows if ok]
        return Page([i for i, _ in pairs], [c for _, c in pairs], self.has_next_page, self.end_cursor)


def page_size(first: int | None, default: int = DEFAULT_PAGE) -> int:
    if first is None:
        return default
    if first < 0 or first > MAX_PAGE:
        raise BadRequestError(f"`first` must be between 0 and {MAX_PAGE}")
    return first


def encode_cursor(values: list[Any]) -> str:
    """orjson (4x json's speed: a page writes one per row); cursors written by json still decode."""
    raw = orjson.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int) -> list[Any] | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise BadRequestError("Malformed cursor") from None
    if not isinstance(values, list) or len(values) != arity or not all(map(_plausible, values)):
        raise BadRequestError("Malformed cursor")
    return values


# What a cursor we wrote can hold: ids and counts fit a signed 64-bit column, scores and
# distances are finite and modest, text is a timestamp or a short key. Anything else was made
# by hand, and would reach the database only to overflow there (a 500, not a bad request).
_MAX_INT = 2**63 - 1
_MAX_FLOAT = 1e15
_MAX_TEXT = 64


def _plausible(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_MAX_INT <= value <= _MAX_INT
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= _MAX_FLOAT
    return isinstance(value, str) and len(value) <= _MAX_TEXT


def cursor_time(raw: Any) -> datetime:
    """A timestamp a cursor carries: as we write them, aware and within the years 2000-2100.
    ("0001-01-01T00:00+14:00" is no instant PostgreSQL's driver can send: a 500, not a page.)"""
    try:
        moment = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None
    if moment.utcoffset() is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise BadRequestError("Malformed cursor")
    return moment


def newest_first_cursor(after: str | None) -> tuple[datetime, int] | None:
    """The (created_at, id) a `newest_first` cursor carries."""
    key = decode_cursor(after, 2)
    if key is None:
        return None
    try:
        return cursor_time(key[0]), int(key[1])
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None


def newest_first_page(
    rows: list[Any], size: int, count: Callable[[], Awaitable[int]] | None = None
) -> Page[Any]:
    """The page of `rows` read newest first (`size` + 1 of them: is there a next page?)."""
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor([row.created_at, row.id]) for row in items],
        has_next_page=len(rows) > size,
        count=count,
    )


async def newest_first(queryset: Any, first: int | None, after: str | None) -> Page[Any]:
    """Page a Tortoise queryset by (created_at desc, id desc): stable under inserts."""
    from tortoise.expressions import Q

    size = page_size(first)
    whole = queryset
    key = newest_first_cursor(after)
    if key is not None:
        created, last_id = key
        queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last_id))
    ordered = queryset.order_by("-created_at", "-id").limit(size + 1)
    return newest_first_page(await ordered, size, whole.count)


async def newest_by(queryset: Any, field: str, first: int | None, after: str | None) -> Page[Any]:
    """Page a Tortoise queryset by (`field` desc, id desc), `field` a non-null datetime column."""
    from tortoise.expressions import Q

    size = page_size(first)
    whole = queryset
    key = decode_cursor(after, 2)
    if key is not None:
        try:
            moment, last_id = cursor_time(key[0]), int(key[1])
        except (TypeError, ValueError):
            raise BadRequestError("Malformed cursor") from None
        queryset = queryset.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": last_id}))
    rows = await queryset.order_by(f"-{field}", "-id").limit(size + 1)
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor([getattr(row, field), row.id]) for row in items],
        has_next_page=len(rows) > size,
        count=whole.count,
    )
