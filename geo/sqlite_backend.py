"""SQLite backend: R*Tree bounding boxes, then exact great-circle distance."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from geo.distance import EARTH_RADIUS_M, bounding_boxes, distance_km
from geo.fragment import MARK, SqlFragment
from geo.index import Hit
from geo.store import PointStore

UPSERT = (
    "INSERT INTO geo_points (kind, object_id, lat, lng) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (kind, object_id) DO UPDATE SET lat = excluded.lat, lng = excluded.lng"
)
# R*Tree rows (lat, lng and a kind code) are kept in step with geo_points by triggers created in
# the geo migrations; the kind is a dimension, so a box query never walks other kinds' points.
CANDIDATES = (
    "SELECT g.object_id, g.lat, g.lng FROM geo_rtree r JOIN geo_points g ON g.id = r.id "
    "WHERE r.min_kind >= ? AND r.max_kind <= ? AND ({boxes})"
)
BOX = "(r.max_lat >= ? AND r.min_lat <= ? AND r.max_lng >= ? AND r.min_lng <= ?)"
# distance_km() in SQL (SQLite's math functions), for counts over a radius without reading rows.
HALF_DLAT = "sin((radians(g.lat) - {p1}) / 2)"
HALF_DLNG = "sin(radians(g.lng - {lng}) / 2)"
HAVERSINE_KM = (
    f"2 * {{earth_m}} * asin(min(1.0, sqrt({HALF_DLAT} * {HALF_DLAT}"
    f" + cos({{p1}}) * cos(radians(g.lat)) * {HALF_DLNG} * {HALF_DLNG}))) / 1000.0"
)


POINT_MARK = re.compile(r"\{(p1|lng)\}")


def _number(value: float) -> str:
    """A float as an SQL literal (repr is exact and never quotes)."""
    return repr(float(value))


def _haversine(p1: float, lng: float) -> tuple[str, list[float]]:
    """HAVERSINE_KM with the point's values as fragment marks, and those values in text order."""
    template = HAVERSINE_KM.replace("{earth_m}", _number(EARTH_RADIUS_M))
    point = {"p1": p1, "lng": lng}
    return POINT_MARK.sub(MARK, template), [point[name] for name in POINT_MARK.findall(template)]


class SqliteGeoIndex(PointStore):
    UPSERT = UPSERT
    DELETE = "DELETE FROM geo_points WHERE kind = ? AND object_id = ?"

    def __init__(self, connection_name: str = "default", read_connection_name: str | None = None) -> None:
        super().__init__(connection_name, read_connection_name)
        self._kind_codes: dict[str, int] = {}

    async def _kind_code(self, kind: str) -> int | None:
        """A kind's R*Tree code (assigned once by the insert trigger, never changed)."""
        if kind not in self._kind_codes:
            _, rows = await self._read_conn().execute_query(
                "SELECT code FROM geo_kinds WHERE name = ?", [kind]
            )
            if not rows:
                return None
            self._kind_codes[kind] = rows[0][0]
        return self._kind_codes[kind]

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
        """Nearest first. Without a cursor, growing rings (radius/16, /8, ...) stop as soon as one
        holds `limit` points: those are then the nearest overall, and a dense city never makes
        Python measure every point of a 5 km box."""
        if after is None and limit > 0:
            ring = radius_km / 16
            while 0 < ring < radius_km:  # a ring of 0 (a radius near float's least) never grows
                hits = await self._within_once(kind, lat, lng, ring, limit, None, exclude)
                if len(hits) >= limit:
                    return hits
                ring *= 2
        return await self._within_once(kind, lat, lng, radius_km, limit, after, exclude)

    async def _within_once(
        self,
        kind: str,
        lat: float,
        lng: float,
        radius_km: float,
        limit: int,
        after: Hit | None,
        exclude: Sequence[int],
    ) -> list[Hit]:
        code = await self._kind_code(kind)
        if code is None:
            return []
        boxes = bounding_boxes(lat, lng, radius_km)
        params: list[object] = [code, code]
        for box in boxes:
            params += [box.min_lat, box.max_lat, box.min_lng, box.max_lng]
        sql = CANDIDATES.format(boxes=" OR ".join([BOX] * len(boxes)))
        _, rows = await self._read_conn().execute_query(sql, params)
        excluded = set(exclude)
        hits = []
        for object_id, plat, plng in rows:
            if object_id in excluded:
                continue
            d = distance_km(lat, lng, plat, plng)
            if d > radius_km:
                continue
            hit = Hit(d, object_id)
            if after is None or hit > after:
                hits.append(hit)
        hits.sort()
        return hits[:limit]

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
        """`within`, then the rows of those ids (SQLite is in-process: two reads cost little);
        reading past points without a row in growing batches until `limit` have one.
        `also_exclude` is one more read first, on the primary (the caller's fresh state)."""
        if also_exclude is not None:
            _, more = await self._conn().execute_query(also_exclude, {"of": also_exclude_of})  # type: ignore[arg-type]
            exclude = [*exclude, *(row[0] for row in more)]
        found: list[tuple[Hit, Mapping[str, Any] | None]] = []
        batch = limit if not read_past_missing else limit + 1
        while True:
            hits = await self.within(kind, lat, lng, radius_km, limit=batch, after=after, exclude=exclude)
            by_id = await self._rows(rows, [h.object_id for h in hits])
            for hit in hits:
                row = by_id.get(hit.object_id)
                if row is not None or not read_past_missing:
                    found.append((hit, row))
            if not read_past_missing or len(found) >= limit or len(hits) < batch:
                return found[:limit] if read_past_missing else found
            after, batch = hits[-1], max(2 * batch, 100)

    async def within_ranked(self, *args: Any, **kwargs: Any) -> list[Mapping[str, Any]]:
        """Not on SQLite: callers rank `within_rows` in Python there."""
        raise NotImplementedError("within_ranked is PostgreSQL only")

    async def _rows(self, rows: str, ids: list[int]) -> dict[int, Mapping[str, Any]]:
        if not ids:
            return {}
        found = await self._read_conn().execute_query_dict(
            f"SELECT * FROM ({rows}) t WHERE t.id IN ({', '.join('?' * len(ids))})", ids
        )
        return {row["id"]: row for row in found}

    async def within_subquery(
        self, kind: str, lat: float, lng: float, radius_km: float, per_row: str | None = None
    ) -> SqlFragment:
        code = await self._kind_code(kind)
        if code is None:
            return SqlFragment("(SELECT NULL WHERE 0)")
        boxes, values = [], []
        for box in bounding_boxes(lat, lng, radius_km):
            boxes.append(BOX.replace("?", MARK))
            values += (float(v) for v in (box.min_lat, box.max_lat, box.min_lng, box.max_lng))
        distance, point = _haversine(math.radians(lat), float(lng))
        candidates = CANDIDATES.replace("g.object_id, g.lat, g.lng", "g.object_id")
        candidates = candidates.replace("?", str(int(code)))
        template = f"({candidates.format(boxes=' OR '.join(boxes))} AND {distance} <= {MARK})"
        return SqlFragment(template, *values, *point, float(radius_km))
