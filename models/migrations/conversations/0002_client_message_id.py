"""sendMessage's clientMessageId: a phone that lost the answer to a message it sent retries with
the same id and gets that message back, instead of sending it twice."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

INDEX = "messages_client_id"


async def forward(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {INDEX} ON messages (conversation_id, sender_id, client_id)"
    )


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    await schema_editor.client.execute_script(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(model_name="Message", name="client_id", field=fields.CharField(max_length=64, null=True)),
        ops.RunPython(forward, backward),
    ]
