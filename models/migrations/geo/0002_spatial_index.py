"""Spatial index per dialect: PostGIS geography + GiST, or an SQLite R*Tree kept by triggers."""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGIS = [
    "CREATE EXTENSION IF NOT EXISTS postgis",
    "ALTER TABLE geo_points ADD COLUMN geog geography(Point, 4326) GENERATED ALWAYS AS "
    "(ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography) STORED",
    "CREATE INDEX geo_points_geog_gist ON geo_points USING GIST (geog)",
    "CREATE INDEX geo_points_kind_object ON geo_points (kind, object_id)",
]

SQLITE = [
    "CREATE VIRTUAL TABLE geo_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)",
    "INSERT INTO geo_rtree SELECT id, lat, lat, lng, lng FROM geo_points",
    "CREATE TRIGGER geo_points_ai AFTER INSERT ON geo_points BEGIN "
    "INSERT INTO geo_rtree VALUES (new.id, new.lat, new.lat, new.lng, new.lng); END",
    "CREATE TRIGGER geo_points_au AFTER UPDATE ON geo_points BEGIN "
    "UPDATE geo_rtree SET min_lat = new.lat, max_lat = new.lat, min_lng = new.lng, "
    "max_lng = new.lng WHERE id = new.id; END",
    "CREATE TRIGGER geo_points_ad AFTER DELETE ON geo_points BEGIN "
    "DELETE FROM geo_rtree WHERE id = old.id; END",
]


async def create_spatial_index(apps, schema_editor) -> None:
    client = schema_editor.client
    statements = POSTGIS if client.capabilities.dialect == "postgres" else SQLITE
    for statement in statements:
        await client.execute_script(statement)


async def drop_spatial_index(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("ALTER TABLE geo_points DROP COLUMN geog")
    else:
        for name in ("geo_points_ai", "geo_points_au", "geo_points_ad"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
        await client.execute_script("DROP TABLE IF EXISTS geo_rtree")


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]

    operations = [ops.RunPython(create_spatial_index, drop_spatial_index)]
