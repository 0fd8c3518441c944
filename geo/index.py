"""The spatial interface every domain uses; backends live beside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from geo.fragment import SqlFragment


@dataclass(frozen=True, order=True)
class Hit:
    distance_km: float
    object_id: int


class GeoIndex(Protocol):
    """Points of a kind; queries answer nearest first, ties by object id."""

    async def upsert(self, kind: str, object_id: int, lat: float, lng: float) -> None: ...

    async def remove(self, kind: str, object_id: int) -> None: ...

    async def within(
        self,
        kind: str,
        lat: float,
        lng: float,
        radius_km: float,
        *,
        limit: int = 100,
        after: Hit | None = None,
        exclude: Sequence[int] = (),
    ) -> list[Hit]:
        """Points within radius_km, ordered by (distance, id), strictly after `after`."""
        ...

    async def within_rows(
        self,
        kind: str,
        lat: float,
        lng: float,
        radius_km: float,
        rows: str,
        *,
        limit: int = 100,
        after: Hit | None = None,
        exclude: Sequence[int] = (),
        read_past_missing: bool = True,
        also_exclude: str | None = None,
        also_exclude_of: int | None = None,
    ) -> list[tuple[Hit, Mapping[str, Any] | None]]:
        """`within`, each point with its row of `rows`, in one round trip on PostgreSQL.

        `rows` is the caller's SELECT over the table the points index: it returns `id` (the
        points' object_id) and whatever columns the caller reads, with the caller's own
        conditions (who may see a row), values inlined; geo/ joins it by id and knows nothing
        else of it; a row starts with the SELECT's columns, in its order. `read_past_missing`:
        the `limit` nearest points that have a row (points
        without one are read past, inside the index scan); False: the `limit` nearest points,
        each with its row or None.

        `also_exclude`: the caller's SELECT of one column of more object ids to leave out (as
        `exclude`: before the `limit` nearest are taken), with one named parameter `:of` bound to
        `also_exclude_of`; on PostgreSQL it runs inside the spatial statement. Such exclusions
        are the caller's fresh state (a viewer's blocks), so with `also_exclude` the statement
        reads on the primary, not a lagging replica.
        """
        ...

    async def within_ranked(
        self,
        kind: str,
        lat: float,
        lng: float,
        radius_km: float,
        rank: str,
        values: Mapping[str, Any],
        *,
        limit: int = 100,
        exclude: Sequence[int] = (),
        also_exclude: str | None = None,
        also_exclude_of: int | None = None,
    ) -> list[Mapping[str, Any]]:
        """PostgreSQL only: the caller's `rank` statement over the nearest points, one round trip.

        geo/ writes the spatial part, the `limit` nearest points (exclusions as `within_rows`)
        each with its card, as the CTE `candidates` (`object_id`, `distance_m`, `card`). A card
        is a point's jsonb column holding what the kind's ranking reads, kept by the kind's
        owner (the diners' by triggers on users: models/migrations/foodies/0003): the KNN scan
        fetches each point's row anyway, so the candidates cost no lookup of their own rows.
        `rank` is the caller's statement reading `candidates` (a SELECT, or WITH more CTEs then
        a SELECT), with its own named parameters (`:name`, cast where PostgreSQL cannot infer
        the type) bound from `values`. What to select, order and keep is the caller's; the
        spatial SQL stays here. Each shape (kind, rank, exclusions) is compiled once.
        """
        ...

    async def within_subquery(
        self, kind: str, lat: float, lng: float, radius_km: float, per_row: str | None = None
    ) -> SqlFragment:
        """SQL `(SELECT object_id ...)` of the points within radius_km (the same edge as
        `within`), to filter another table by in a Tortoise query (`id__in=fragment`). The point
        and radius are bound parameters of that query, so its text is the same for every point
        (prepared once per connection on PostgreSQL).

        `per_row`: the outer query's quoted column the filter tests (`'"t"."restaurant_id"'`).
        The subquery then checks that row's point alone, an index lookup per row the outer query
        reads, instead of the set of every point inside, which PostgreSQL builds (a hash) before
        the first row: 80 000 restaurants within 10 km of a dense city's centre took ~200 ms per
        feed page. For a scan that stops after a page of rows (bench/README.md, section 17).
        SQLite builds the set either way."""
        ...
