"""PostGIS backend: geography column with a GiST index; ST_DWithin filters, KNN orders.

The SQL is built with GeoAlchemy2 and compiled for asyncpg ($n placeholders), then run on
Tortoise's connection so it shares the request's pool and transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    all_,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from geo.fragment import SqlFragment
from geo.index import Hit
from geo.store import PointStore

KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
OUTER_COLUMN = re.compile(r'"[a-z_][a-z0-9_]*"\."[a-z_][a-z0-9_]*"')
POINT = Geography(geometry_type="POINT", srid=4326)
_DIALECT = asyncpg_dialect(paramstyle="numeric_dollar")
_PLACEHOLDER = re.compile(r"\$(\d+)")

geo_points = table(
    "geo_points",
    column("id"),
    column("kind"),
    column("object_id"),
    column("lat"),
    column("lng"),
    column("geog", POINT),
    column("card"),
)

UPSERT = (
    "INSERT INTO geo_points (kind, object_id, lat, lng) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (kind, object_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng"
)


# Values are bound parameters, so each statement shape is built and compiled once (compiling with
# SQLAlchemy per request cost more CPU than PostgreSQL spent answering; see bench/README.md).
LAT, LNG = bindparam("lat", type_=Float), bindparam("lng", type_=Float)
RADIUS_M, LIMIT = bindparam("radius_m", type_=Float), bindparam("limit", type_=Integer)
AFTER_KM, AFTER_ID = bindparam("after_km", type_=Float), bindparam("after_id", type_=BigInteger)
EXCLUDE = bindparam("exclude", type_=ARRAY(BigInteger))
OF = bindparam("of", type_=BigInteger)


def point(lat, lng):  # noqa: ANN001, ANN201 - SQLAlchemy expressions
    return func.ST_SetSRID(func.ST_MakePoint(lng, lat), 4326).cast(POINT)


def _rows_table(rows: str):  # noqa: ANN202
    """A caller's SELECT (returning `id` = object_id) as the joined table `t`."""
    return text(rows).columns(column("id")).subquery("t")


def _also_excluded(also_exclude: str):  # noqa: ANN202
    """`object_id` not among the caller's SELECT of ids (`:of` bound): evaluated once per
    statement (an InitPlan array), then checked in the index scan as `exclude` is."""
    return text(f"geo_points.object_id <> ALL(ARRAY({also_exclude}))").bindparams(OF)


def within_statement(  # noqa: ANN201
    kind: str,
    has_after: bool,
    has_exclude: bool,
    rows: str | None = None,
    also_exclude: str | None = None,
    card: bool = False,
):
    """Nearest first, ties by id, from one KNN index scan.

    The inner query is a pure KNN scan (`ORDER BY geog <-> here`, no radius: the GiST index
    returns rows in distance order) that stops after n rows plus every row tied with the n-th
    (`FETCH FIRST n ROWS WITH TIES`). Those are exactly the points within min(radius, the n-th
    distance) once the outer query drops what lies past the radius; it then orders them by
    (distance, id). A single `ST_DWithin(radius) ORDER BY distance, id` would read every point
    in the radius (hundreds of thousands in a dense city) and sort them; the earlier two-step
    form (KNN for the n-th distance, then an `ST_DWithin` range scan up to it) read the range's
    bounding box again, ~7x the rows in a dense centre (bench/README.md, section 17).

    With `rows`, the scan joins the caller's rows (`t`) by id: points without a row are read
    past inside the scan, and the answer carries the row's columns. With `card`, each point's
    card comes with it (read with the point the scan fetches anyway: no lookup).
    """
    here = point(LAT, LNG)
    distance_m = geo_points.c.geog.op("<->", return_type=Float)(here)
    # Keyset compares kilometres computed in SQL exactly as Python computes Hit.distance_km.
    distance_km = distance_m / 1000.0
    # The kind as a literal (kinds are internal names, never user input): the planner can then
    # use the partial GiST index of that kind even in a prepared statement's generic plan.
    if not KIND_NAME.fullmatch(kind):
        raise ValueError(f"not a kind name: {kind!r}")
    filters = [geo_points.c.kind == literal_column(f"'{kind}'")]
    if has_after:
        filters.append(
            or_(distance_km > AFTER_KM, and_(distance_km == AFTER_KM, geo_points.c.object_id > AFTER_ID))
        )
    if has_exclude:
        filters.append(geo_points.c.object_id != all_(EXCLUDE))
    if also_exclude is not None:
        filters.append(_also_excluded(also_exclude))
    source, columns = geo_points, [geo_points.c.object_id, distance_m.label("distance_m")]
    if card:
        columns.append(geo_points.c.card)
    if rows is not None:  # the row's columns first: callers may read them by position
        t = _rows_table(rows)
        source = geo_points.join(t, t.c.id == geo_points.c.object_id)
        columns.insert(0, literal_column("t.*"))
    nearest = (
        select(*columns)
        .select_from(source)
        .where(*filters)
        .order_by(distance_m)
        .fetch(LIMIT, with_ties=True)
        .subquery("k")
    )
    # With `rows`, `k.*` is the row's columns, then object_id and distance_m, as callers read them.
    answer = [literal_column("k.*")] if rows is not None else [nearest.c.object_id, nearest.c.distance_m]
    if card and rows is None:
        answer.append(nearest.c.card)
    return (
        select(*answer)
        .select_from(nearest)
        .where(nearest.c.distance_m <= RADIUS_M)
        .order_by(nearest.c.distance_m, nearest.c.object_id)
        .limit(LIMIT)
    )


def with_rows_statement(  # noqa: ANN201
    kind: str, has_after: bool, has_exclude: bool, rows: str, also_exclude: str | None = None
):
    """The nearest points (as `within`), each with its row of `rows` or NULLs (a LEFT JOIN)."""
    hits = within_statement(kind, has_after, has_exclude, also_exclude=also_exclude).subquery("h")
    t = _rows_table(rows)
    return (
        select(literal_column("t.*"), hits.c.object_id, hits.c.distance_m)
        .select_from(hits.outerjoin(t, t.c.id == hits.c.object_id))
        .order_by(hits.c.distance_m, hits.c.object_id)
    )


@lru_cache(maxsize=64)
def compiled(
    kind: str,
    has_after: bool,
    has_exclude: bool,
    rows: str | None,
    read_past_missing: bool,
    also_exclude: str | None = None,
    card: bool = False,
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """SQL text ($n placeholders), parameter names and the constants' values of one shape."""
    if rows is not None and not read_past_missing:
        statement = with_rows_statement(kind, has_after, has_exclude, rows, also_exclude)
    else:
        statement = within_statement(kind, has_after, has_exclude, rows, also_exclude, card)
    result = statement.compile(dialect=_DIALECT)
    return str(result), tuple(result.positiontup or ()), dict(result.params)


@lru_cache(maxsize=32)
def compiled_ranked(
    kind: str, has_exclude: bool, rank: str, also_exclude: str | None
) -> tuple[str, tuple[str, ...], dict[str, Any], tuple[str, ...]]:
    """`WITH candidates AS (<the nearest points, each with its card>) <rank>`, compiled once per
    shape: SQL text, geo's parameter names and constants, then the caller's names (numbered
    after geo's)."""
    inner, names, constants = compiled(kind, False, has_exclude, None, True, also_exclude, card=True)
    outer = text(rank).compile(dialect=_DIALECT)
    shift = len(names)
    body = _PLACEHOLDER.sub(lambda m: f"${int(m.group(1)) + shift}", str(outer)).strip()
    # The caller's own CTEs, if any, follow `candidates` in the same WITH.
    body = f", {body[len('WITH') :].lstrip()}" if body[:5].upper() == "WITH " else f" {body}"
    return f"WITH candidates AS ({inner}){body}", names, constants, tuple(outer.positiontup or ())


class PostgisGeoIndex(PointStore):
    UPSERT = UPSERT
    DELETE = "DELETE FROM geo_points WHERE kind = $1 AND object_id = $2"

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
        sql, params = self._statement(kind, lat, lng, radius_km, limit, after, exclude, None, True)
        _, rows = await self._read_conn().execute_query(sql, params)
        return [Hit(row["distance_m"] / 1000.0, row["object_id"]) for row in rows]

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
        sql, params = self._statement(
            kind,
            lat,
            lng,
            radius_km,
            limit,
            after,
            exclude,
            rows,
            read_past_missing,
            also_exclude,
            also_exclude_of,
        )
        _, found = await self._reader(also_exclude).execute_query(sql, params)
        return [
            (Hit(row["distance_m"] / 1000.0, row["object_id"]), row if row["id"] is not None else None)
            for row in found
        ]

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
        sql, names, constants, caller_names = compiled_ranked(kind, bool(exclude), rank, also_exclude)
        positional = self._values(
            names, constants, lat, lng, radius_km, limit, None, exclude, also_exclude_of
        )
        reader = self._reader(also_exclude)
        _, found = await reader.execute_query(sql, [*positional, *(values[n] for n in caller_names)])
        return found

    def _reader(self, also_exclude: str | None):  # noqa: ANN202 - a Tortoise client
        """The caller's exclusions are its fresh state (blocks): read them where they were written."""
        return self._conn() if also_exclude is not None else self._read_conn()

    @staticmethod
    def _statement(
        kind: str,
        lat: float,
        lng: float,
        radius_km: float,
        limit: int,
        after: Hit | None,
        exclude: Sequence[int],
        rows: str | None,
        read_past_missing: bool,
        also_exclude: str | None = None,
        also_exclude_of: int | None = None,
    ) -> tuple[str, list[object]]:
        sql, names, constants = compiled(
            kind, after is not None, bool(exclude), rows, read_past_missing, also_exclude
        )
        return sql, PostgisGeoIndex._values(
            names, constants, lat, lng, radius_km, limit, after, exclude, also_exclude_of
        )

    @staticmethod
    def _values(
        names: Sequence[str],
        constants: Mapping[str, Any],
        lat: float,
        lng: float,
        radius_km: float,
        limit: int,
        after: Hit | None,
        exclude: Sequence[int],
        also_exclude_of: int | None,
    ) -> list[object]:
        """geo's parameters of a compiled shape, in its positional order."""
        values = {
            **constants,
            "lat": float(lat),
            "lng": float(lng),
            "radius_m": float(radius_km) * 1000.0,
            "limit": int(limit),
            "after_km": after.distance_km if after else None,
            "after_id": after.object_id if after else None,
            "exclude": list(exclude),
            "of": also_exclude_of,
        }
        return [values[name] for name in names]

    async def within_subquery(
        self, kind: str, lat: float, lng: float, radius_km: float, per_row: str | None = None
    ) -> SqlFragment:
        if not KIND_NAME.fullmatch(kind):
            raise ValueError(f"not a kind name: {kind!r}")
        if per_row is not None and not OUTER_COLUMN.fullmatch(per_row):
            raise ValueError(f"not a quoted column: {per_row!r}")
        # Correlated with the outer row's column, the subquery can't be hashed: PostgreSQL looks
        # up that row's point by (kind, object_id) and checks its distance, per row it tests.
        this_row = f" AND object_id = {per_row}" if per_row else ""
        # The kind stays a literal (the partial GiST index of that kind, as in `within_statement`).
        return SqlFragment(
            f"(SELECT object_id FROM geo_points WHERE kind = '{kind}'{this_row} AND ST_DWithin(geog, "
            "ST_SetSRID(ST_MakePoint({}::float8, {}::float8), 4326)::geography, {}::float8, false))",
            float(lng),
            float(lat),
            float(radius_km) * 1000.0,
        )
