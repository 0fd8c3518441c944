"""Search documents rewritten with traditional characters folded and names spelled in pinyin.

The tokenizer now reads 火鍋 as 火锅 and adds each name's pinyin (models/chinese_search.py):
documents written before it are tokenized again so both spellings find them.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

from core.atomic import in_dialect
from models.search import documents


async def retokenize(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    update = in_dialect(
        client, "UPDATE search_docs SET name_tokens = ?, tokens = ? WHERE kind = ? AND object_id = ?"
    )
    async for kind, object_id, _restaurant_id, doc, _price, _level in documents(client):
        await client.execute_query(update, [doc["name_tokens"], doc["tokens"], kind, object_id])


async def keep(apps, schema_editor) -> None:  # noqa: ANN001
    """Going back leaves the richer tokens: the older tokenizer's queries still find them."""


class Migration(migrations.Migration):
    dependencies = [("search", "0002_r3searchperf_sort_keys")]

    initial = False

    operations = [ops.RunPython(retokenize, keep)]
