"""Search documents, their per-dialect index, and a backfill of existing restaurants and dishes."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from core.atomic import in_dialect
from models.search import documents

POSTGRES = [
    "ALTER TABLE search_docs ADD COLUMN token_array text[] GENERATED ALWAYS AS "
    "(string_to_array(tokens, ' ')) STORED",
    "ALTER TABLE search_docs ADD COLUMN name_array text[] GENERATED ALWAYS AS "
    "(string_to_array(name_tokens, ' ')) STORED",
    "CREATE INDEX search_docs_tokens_gin ON search_docs USING GIN (token_array)",
]
# External content: FTS5 keeps only its inverted index; the text stays in search_docs. The
# `ascii` tokenizer splits on ASCII separators only, so our CJK bigrams stay whole tokens.
SQLITE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(name_tokens, tokens, content='search_docs', "
    "content_rowid='id', tokenize='ascii')",
    "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, name_tokens, tokens) VALUES (new.id, new.name_tokens, new.tokens); END",
    "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name_tokens, tokens) "
    "VALUES ('delete', old.id, old.name_tokens, old.tokens); END",
    "CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name_tokens, tokens) "
    "VALUES ('delete', old.id, old.name_tokens, old.tokens); "
    "INSERT INTO search_fts(rowid, name_tokens, tokens) VALUES (new.id, new.name_tokens, new.tokens); END",
]


async def _backfill(client) -> None:  # noqa: ANN001
    insert = in_dialect(
        client,
        "INSERT INTO search_docs (kind, object_id, restaurant_id, name_tokens, tokens, price_cents, "
        "price_level) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    async for kind, object_id, restaurant_id, doc, price, level in documents(client):
        values = [kind, object_id, restaurant_id, doc["name_tokens"], doc["tokens"], price, level]
        await client.execute_query(insert, values)


async def create_index(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for statement in POSTGRES if postgres else SQLITE:
        await client.execute_script(statement)
    # Search reads a restaurant's menu ratings per candidate; PostgreSQL indexes no foreign key.
    await client.execute_script("CREATE INDEX IF NOT EXISTS dishes_restaurant_live ON dishes (restaurant_id)")
    await _backfill(client)


async def drop_index(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        for name in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")
        await client.execute_script("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    dependencies = [("restaurants", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="SearchDoc",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=16)),
                ("object_id", fields.BigIntField()),
                ("restaurant_id", fields.BigIntField(db_index=True)),
                ("name_tokens", fields.TextField(default="", unique=False)),
                ("tokens", fields.TextField(default="", unique=False)),
                ("price_cents", fields.IntField(default=0)),
                ("price_level", fields.SmallIntField(default=0)),
            ],
            options={
                "table": "search_docs",
                "app": "search",
                "unique_together": (("kind", "object_id"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.RunPython(create_index, drop_index),
    ]
