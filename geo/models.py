"""The spatial index table: one point per (kind, object).

Spatial columns and indexes (PostGIS geography + GiST, SQLite R*Tree) are created by
migrations per dialect; Tortoise only knows the plain columns.
"""

from __future__ import annotations

from tortoise import fields

from models.base import Model


class GeoPoint(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    object_id = fields.BigIntField()
    lat = fields.FloatField()
    lng = fields.FloatField()

    class Meta:
        table = "geo_points"
        unique_together = (("kind", "object_id"),)
