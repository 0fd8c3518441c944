"""Sort keys on the search document: rating and review counts, kept by triggers, and indexes.

Search sorted by rating or popularity used to rate every match (a correlated sum over each
restaurant's menu) before its LIMIT; with a very common word that is most of the city. The
document now carries its own sort keys, copied by triggers in the very statement that moves
the counters they mirror (so in the same transaction, from the row's new value, never from a
value read earlier):
- a dish: `dishes.rating_sum` / `review_count` (its plain mean);
- a restaurant: `restaurant_ratings` (models/trust.py), the page's weighted mean
  (weighted_sum / weight_total) and its review count.
B-tree indexes in each sort's order let the statement read matches in order and stop at the
page (resolvers/search/search.py).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

# The rating sort key, written the same way in the index and in the query so the planner
# matches them (resolvers/search/search.RATING_KEY).
RATING_KEY = "(CASE WHEN rating_weight > 0 THEN rating_sum * 1.0 / rating_weight ELSE -1 END)"
INDEXES = [
    "CREATE INDEX search_docs_popular ON search_docs (kind, review_count DESC, object_id DESC)",
    "CREATE INDEX search_docs_rated ON search_docs "
    f"(kind, {RATING_KEY} DESC, review_count DESC, object_id DESC)",
]
BACKFILL = [
    "UPDATE search_docs SET "
    "rating_sum = COALESCE((SELECT x.rating_sum FROM dishes x WHERE x.id = search_docs.object_id), 0), "
    "rating_weight = COALESCE((SELECT x.review_count FROM dishes x WHERE x.id = search_docs.object_id), 0), "
    "review_count = COALESCE((SELECT x.review_count FROM dishes x WHERE x.id = search_docs.object_id), 0) "
    "WHERE kind = 'dish'",
    "UPDATE search_docs SET "
    "rating_sum = COALESCE((SELECT t.weighted_sum FROM restaurant_ratings t "
    "WHERE t.restaurant_id = search_docs.object_id), 0), "
    "rating_weight = COALESCE((SELECT t.weight_total FROM restaurant_ratings t "
    "WHERE t.restaurant_id = search_docs.object_id), 0), "
    "review_count = COALESCE((SELECT t.review_count FROM restaurant_ratings t "
    "WHERE t.restaurant_id = search_docs.object_id), 0) "
    "WHERE kind = 'restaurant'",
]
_DISH_SET = (
    "UPDATE search_docs SET rating_sum = NEW.rating_sum, rating_weight = NEW.review_count, "
    "review_count = NEW.review_count WHERE kind = 'dish' AND object_id = NEW.id;"
)
_RESTAURANT_SET = (
    "UPDATE search_docs SET rating_sum = NEW.weighted_sum, rating_weight = NEW.weight_total, "
    "review_count = NEW.review_count WHERE kind = 'restaurant' AND object_id = NEW.restaurant_id;"
)


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)


_DISH_CHANGED = _changed("rating_sum", "review_count")
_RESTAURANT_CHANGED = _changed("weighted_sum", "weight_total", "review_count")
POSTGRES = [
    # One GIN per kind (a search is always of one kind): a word common among dishes (担担面) costs
    # nothing in a restaurant search. Names get theirs too: RELEVANCE reads name matches apart.
    *(
        f"CREATE INDEX search_docs_{column}_{kind}_gin ON search_docs USING GIN ({column}) "
        f"WHERE kind = '{kind}'"
        for column in ("token_array", "name_array")
        for kind in ("restaurant", "dish")
    ),
    "DROP INDEX IF EXISTS search_docs_tokens_gin",
    f"CREATE FUNCTION search_docs_dish_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {_DISH_SET} "
    "RETURN NULL; END $$",
    f"CREATE FUNCTION search_docs_restaurant_counts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{_RESTAURANT_SET} RETURN NULL; END $$",
    "CREATE TRIGGER dishes_search_counts AFTER UPDATE OF rating_sum, review_count ON dishes FOR EACH ROW "
    f"WHEN ({_DISH_CHANGED}) EXECUTE FUNCTION search_docs_dish_counts()",
    "CREATE TRIGGER restaurant_ratings_search_counts_ai AFTER INSERT ON restaurant_ratings FOR EACH ROW "
    "EXECUTE FUNCTION search_docs_restaurant_counts()",
    "CREATE TRIGGER restaurant_ratings_search_counts_au AFTER UPDATE OF weighted_sum, weight_total, "
    f"review_count ON restaurant_ratings FOR EACH ROW WHEN ({_RESTAURANT_CHANGED}) "
    "EXECUTE FUNCTION search_docs_restaurant_counts()",
]
SQLITE = [
    # The FTS5 copy follows the tokens only: a counter change must not rewrite the index entry.
    "DROP TRIGGER IF EXISTS search_docs_au",
    "CREATE TRIGGER search_docs_au AFTER UPDATE OF name_tokens, tokens ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, name_tokens, tokens) "
    "VALUES ('delete', old.id, old.name_tokens, old.tokens); "
    "INSERT INTO search_fts(rowid, name_tokens, tokens) VALUES (new.id, new.name_tokens, new.tokens); END",
    "CREATE TRIGGER dishes_search_counts AFTER UPDATE OF rating_sum, review_count ON dishes "
    f"WHEN {_DISH_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN {_DISH_SET} END",
    "CREATE TRIGGER restaurant_ratings_search_counts_ai AFTER INSERT ON restaurant_ratings "
    f"BEGIN {_RESTAURANT_SET} END",
    "CREATE TRIGGER restaurant_ratings_search_counts_au AFTER UPDATE OF weighted_sum, weight_total, "
    f"review_count ON restaurant_ratings WHEN {_RESTAURANT_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
    f"BEGIN {_RESTAURANT_SET} END",
]


async def forward(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for statement in [*(POSTGRES if postgres else SQLITE), *BACKFILL, *INDEXES]:
        await client.execute_script(statement)


async def backward(apps, schema_editor) -> None:  # noqa: ANN001
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for name in ("search_docs_popular", "search_docs_rated"):
        await client.execute_script(f"DROP INDEX IF EXISTS {name}")
    if postgres:
        for column in ("token_array", "name_array"):
            for kind in ("restaurant", "dish"):
                await client.execute_script(f"DROP INDEX IF EXISTS search_docs_{column}_{kind}_gin")
        await client.execute_script(
            "CREATE INDEX search_docs_tokens_gin ON search_docs USING GIN (token_array)"
        )
        await client.execute_script("DROP TRIGGER IF EXISTS dishes_search_counts ON dishes")
        for suffix in ("ai", "au"):
            await client.execute_script(
                f"DROP TRIGGER IF EXISTS restaurant_ratings_search_counts_{suffix} ON restaurant_ratings"
            )
        await client.execute_script("DROP FUNCTION IF EXISTS search_docs_dish_counts()")
        await client.execute_script("DROP FUNCTION IF EXISTS search_docs_restaurant_counts()")
    else:
        for name in (
            "dishes_search_counts",
            "restaurant_ratings_search_counts_ai",
            "restaurant_ratings_search_counts_au",
        ):
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("trust", "0001_initial")]

    initial = False

    operations = [
        ops.AddField(
            model_name="SearchDoc", name="rating_sum", field=fields.IntField(default=0, db_default=0)
        ),
        ops.AddField(
            model_name="SearchDoc", name="rating_weight", field=fields.IntField(default=0, db_default=0)
        ),
        ops.AddField(
            model_name="SearchDoc", name="review_count", field=fields.IntField(default=0, db_default=0)
        ),
        ops.RunPython(forward, backward),
    ]
