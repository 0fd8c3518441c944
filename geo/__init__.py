"""Spatial index and location privacy. Raw coordinates of others never leave this package."""

from __future__ import annotations

from geo.index import GeoIndex, Hit

__all__ = ["GeoIndex", "Hit", "make_geo_index"]


def make_geo_index(is_postgres: bool) -> GeoIndex:
    if is_postgres:
        from geo.postgis_backend import PostgisGeoIndex

        return PostgisGeoIndex()
    from geo.sqlite_backend import SqliteGeoIndex

    return SqliteGeoIndex()
