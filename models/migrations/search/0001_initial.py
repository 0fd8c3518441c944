"""Search documents, their per-dialect index, and a backfill of existing restaurants and dishes."""

import json

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.search import dish_doc, price_level, restaurant_doc

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


async def _backfill(client, mark: str) -> None:  # noqa: ANN001
    def sql(text: str) -> str:
        if mark == "?":
            return text
        count = 0
        out = []
        for char in text:
            if char == "?":
                count += 1
                out.append(f"${count}")
            else:
                out.append(char)
        return "".join(out)

    insert = sql(
        "INSERT INTO search_docs (kind, object_id, restaurant_id, name_tokens, tokens, price_cents, "
        "price_level) VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    restaurants = await client.execute_query_dict("SELECT id, name, search_text FROM restaurants")
    dishes = await client.execute_query_dict(
        "SELECT id, restaurant_id, name, tags, description, price_cents FROM dishes WHERE archived = false"
    )
    menus: dict[int, list[dict]] = {}
    for dish in dishes:
        menus.setdefault(dish["restaurant_id"], []).append(dish)
    for r in restaurants:
        menu = menus.get(r["id"], [])
        mean = sum(d["price_cents"] for d in menu) // len(menu) if menu else 0
        doc = restaurant_doc(r["name"], r["search_text"], [d["name"] for d in menu])
        level = price_level(mean)
        values = ["restaurant", r["id"], r["id"], doc["name_tokens"], doc["tokens"], mean, level]
        await client.execute_query(insert, values)
        for d in menu:
            tags = d["tags"] if isinstance(d["tags"], list) else json.loads(d["tags"] or "[]")
            doc = dish_doc(d["name"], tags, d["description"], r["name"])
            await client.execute_query(
                insert, ["dish", d["id"], r["id"], doc["name_tokens"], doc["tokens"], d["price_cents"], 0]
            )


async def create_index(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for statement in POSTGRES if postgres else SQLITE:
        await client.execute_script(statement)
    # Search reads a restaurant's menu ratings per candidate; PostgreSQL indexes no foreign key.
    await client.execute_script("CREATE INDEX IF NOT EXISTS dishes_restaurant_live ON dishes (restaurant_id)")
    await _backfill(client, "$" if postgres else "?")


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
