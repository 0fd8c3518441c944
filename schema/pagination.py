"""Relay connections: `edges { cursor node }` and `pageInfo`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from core.pagination import Page

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = False
    start_cursor: str | None = None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    # A number, or a function counting them: called only when a client selects totalCount.
    total: strawberry.Private[int | Callable[[], Awaitable[int]] | None] = None

    @strawberry.field(
        description="Total items: from a maintained counter where one exists, else one COUNT run "
        "only when this field is selected; null where not known."
    )
    async def total_count(self) -> int | None:
        return await self.total() if callable(self.total) else self.total


Total = int | Callable[[], Awaitable[int]] | None


def to_connection(page: Page[Any], convert: Callable[[Any], T], total: Total = None) -> Any:
    edges = [Edge(cursor=c, node=convert(item)) for item, c in zip(page.items, page.cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            end_cursor=page.end_cursor,
            start_cursor=page.cursors[0] if page.cursors else None,
        ),
        total=total if total is not None else page.count,
    )
