"""PostGIS backend: geography column with a GiST index; ST_DWithin filters, KNN orders.

The SQL is built with GeoAlchemy2 and compiled for asyncpg ($n placeholders), then run on
Tortoise's connection so it shares the request's pool and transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from geoalchemy2 import Geography
from sqlalchemy import Float, and_, column, func, literal, literal_column, or_, select, table
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from geo.index import Hit
from geo.store import PointStore

KIND_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
POINT = Geography(geometry_type="POINT", srid=4326)
_DIALECT = asyncpg_dialect(paramstyle="numeric_dollar")

geo_points = table(
    "geo_points",
    column("id"),
    column("kind"),
    column("object_id"),
    column("lat"),
    column("lng"),
    column("geog", POINT),
)

UPSERT = (
    "INSERT INTO geo_points (kind, object_id, lat, lng) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (kind, object_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng"
)


def point(lat: float, lng: float):  # noqa: ANN201 - SQLAlchemy expression
    return func.ST_SetSRID(func.ST_MakePoint(literal(lng), literal(lat)), 4326).cast(POINT)


def within_statement(
    kind: str,
    lat: float,
    lng: float,
    radius_km: float,
    limit: int,
    after: Hit | None,
    exclude: Sequence[int],
):  # noqa: ANN201
    """Nearest first, ties by id, in two index-friendly steps.

    1. `knn`: a pure KNN index scan (`ORDER BY geog <-> here LIMIT n`, no radius: the GiST index
       returns rows in distance order and stops after n) gives the distance of the n-th point.
    2. The answer: points within min(radius, that distance), a small index range, ordered by
       (distance, id). Every point tied at the edge is considered, so the result is exact.
    A single `ST_DWithin(radius) ORDER BY distance, id` would read every point in the radius
    (hundreds of thousands in a dense city) and sort them.
    """
    here = point(lat, lng)
    distance_m = geo_points.c.geog.op("<->", return_type=Float)(here)
    # Keyset compares kilometres computed in SQL exactly as Python computes Hit.distance_km.
    distance_km = distance_m / 1000.0
    # The kind as a literal (kinds are internal names, never user input): the planner can then
    # use the partial GiST index of that kind even in a prepared statement's generic plan.
    if not KIND_NAME.fullmatch(kind):
        raise ValueError(f"not a kind name: {kind!r}")
    filters = [geo_points.c.kind == literal_column(f"'{kind}'")]
    if after is not None:
        filters.append(
            or_(
                distance_km > after.distance_km,
                and_(distance_km == after.distance_km, geo_points.c.object_id > after.object_id),
            )
        )
    if exclude:
        filters.append(geo_points.c.object_id.not_in(list(exclude)))
    knn = select(distance_m.label("d")).where(*filters).order_by(distance_m).limit(limit).cte("knn")
    edge = func.least(select(func.max(knn.c.d)).scalar_subquery(), radius_km * 1000.0)
    return (
        select(geo_points.c.object_id, distance_m.label("distance_m"))
        .where(
            *filters,
            func.ST_DWithin(geo_points.c.geog, here, edge + 0.01, False),
            distance_m <= edge,
            distance_m <= radius_km * 1000.0,
        )
        .order_by(distance_m, geo_points.c.object_id)
        .limit(limit)
    )


def compile_for_asyncpg(statement) -> tuple[str, list[object]]:  # noqa: ANN001
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    names = compiled.positiontup or []
    return str(compiled), [compiled.params[name] for name in names]


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
        sql, params = compile_for_asyncpg(within_statement(kind, lat, lng, radius_km, limit, after, exclude))
        rows = await self._read_conn().execute_query_dict(sql, params)
        return [Hit(row["distance_m"] / 1000.0, row["object_id"]) for row in rows]

    async def within_subquery(self, kind: str, lat: float, lng: float, radius_km: float) -> str:
        if not KIND_NAME.fullmatch(kind):
            raise ValueError(f"not a kind name: {kind!r}")
        here = f"ST_SetSRID(ST_MakePoint({float(lng)!r}, {float(lat)!r}), 4326)::geography"
        return (
            f"(SELECT object_id FROM geo_points WHERE kind = '{kind}' "
            f"AND ST_DWithin(geog, {here}, {float(radius_km) * 1000.0!r}, false))"
        )
