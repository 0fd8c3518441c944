"""A point's card (PostgreSQL): what the ranking of its kind reads, kept beside the point.

A KNN scan fetches each point's row anyway; with the ranking's columns on it the candidates need
no lookup of their own rows (for nearbyFoodies: 500 `users` primary-key lookups per request,
most of its statement's time once those pages are not cached; bench/README.md, section 18). The
kind's owner keeps the card (the diners': models/migrations/foodies/0003). SQLite ranks in
Python from the rows and has no card.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


async def forwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("ALTER TABLE geo_points ADD COLUMN card jsonb")


async def backwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script("ALTER TABLE geo_points DROP COLUMN card")


class Migration(migrations.Migration):
    dependencies = [("geo", "0004_drop_duplicate_kind_object_index")]

    operations = [ops.RunPython(forwards, backwards)]
