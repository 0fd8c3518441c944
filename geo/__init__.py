"""Spatial index and location privacy. Raw coordinates of others never leave this package."""

from __future__ import annotations

from geo.index import GeoIndex, Hit

__all__ = ["GeoIndex", "Hit", "make_geo_index"]


def make_geo_index(is_postgres: bool, read_connection: str = "default") -> GeoIndex:
    """`read_connection` serves `within` (a replica tolerates lag); writes go to "default"."""
    if is_postgres:
        from geo.postgis_backend import PostgisGeoIndex

        return PostgisGeoIndex(read_connection_name=read_connection)
    from geo.sqlite_backend import SqliteGeoIndex

    return SqliteGeoIndex(read_connection_name=read_connection)
