"""An index on favourite_lists.owner_id: every save and every "my lists" read finds a diner's
lists by owner, which was a scan of every diner's lists (PostgreSQL indexes no foreign key)."""

from tortoise import migrations
from tortoise.migrations import operations as ops

INDEX = "favourite_lists_owner"


async def forward(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON favourite_lists (owner_id, id)"
    )


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("favourites", "0001_initial")]

    initial = False

    operations = [ops.RunPython(forward, backward)]
