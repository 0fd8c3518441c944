"""Drop `geo_points_kind_object`: the (kind, object_id) unique constraint's index is the same
btree, so every point written (a diner's location update moves the point and writes every index
of the row) kept two copies of it."""

from tortoise import migrations
from tortoise.migrations import operations as ops


async def forwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("DROP INDEX IF EXISTS geo_points_kind_object")


async def backwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("CREATE INDEX geo_points_kind_object ON geo_points (kind, object_id)")


class Migration(migrations.Migration):
    dependencies = [("geo", "0003_kind_in_spatial_index")]

    operations = [ops.RunPython(forwards, backwards)]
