"""Put the kind into the spatial index, so "restaurants near here" never walks past diners.

PostgreSQL: partial GiST indexes for the big kinds (diners, restaurants); the queries name the
kind as a literal so the planner can pick them (a (kind, geog) btree_gist index fails KNN on
geography with "index returned tuples in wrong order"). SQLite: a third R*Tree dimension
holding a small integer code per kind.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

POSTGIS = [
    "CREATE INDEX geo_points_diner_geog ON geo_points USING GIST (geog) WHERE kind = 'diner'",
    "CREATE INDEX geo_points_restaurant_geog ON geo_points USING GIST (geog) WHERE kind = 'restaurant'",
]
POSTGIS_BACK = [
    "DROP INDEX IF EXISTS geo_points_diner_geog",
    "DROP INDEX IF EXISTS geo_points_restaurant_geog",
]
KIND_CODE = "(SELECT code FROM geo_kinds WHERE name = new.kind)"
SQLITE = [
    "CREATE TABLE geo_kinds (code INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "INSERT INTO geo_kinds (name) SELECT DISTINCT kind FROM geo_points",
    "DROP TRIGGER IF EXISTS geo_points_ai",
    "DROP TRIGGER IF EXISTS geo_points_au",
    "DROP TRIGGER IF EXISTS geo_points_ad",
    "DROP TABLE IF EXISTS geo_rtree",
    "CREATE VIRTUAL TABLE geo_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng, min_kind, max_kind)",
    "INSERT INTO geo_rtree SELECT g.id, g.lat, g.lat, g.lng, g.lng, k.code, k.code "
    "FROM geo_points g JOIN geo_kinds k ON k.name = g.kind",
    "CREATE TRIGGER geo_points_ai AFTER INSERT ON geo_points BEGIN "
    "INSERT OR IGNORE INTO geo_kinds (name) VALUES (new.kind); "
    f"INSERT INTO geo_rtree VALUES (new.id, new.lat, new.lat, new.lng, new.lng, {KIND_CODE}, {KIND_CODE}); END",
    "CREATE TRIGGER geo_points_au AFTER UPDATE ON geo_points BEGIN "
    "UPDATE geo_rtree SET min_lat = new.lat, max_lat = new.lat, min_lng = new.lng, "
    "max_lng = new.lng WHERE id = new.id; END",
    "CREATE TRIGGER geo_points_ad AFTER DELETE ON geo_points BEGIN "
    "DELETE FROM geo_rtree WHERE id = old.id; END",
]


async def forwards(apps, schema_editor) -> None:
    client = schema_editor.client
    for statement in POSTGIS if client.capabilities.dialect == "postgres" else SQLITE:
        await client.execute_script(statement)


async def backwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for statement in POSTGIS_BACK:
            await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("geo", "0002_spatial_index")]

    operations = [ops.RunPython(forwards, backwards)]
