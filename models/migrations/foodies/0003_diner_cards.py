"""Diners' cards (PostgreSQL): the scoring columns of each diner's row on their point.

`diner_card(users)` is the card nearbyFoodies' ranking reads (resolvers/foodies/ranking.py
`CARDS_SQL`). Triggers keep it, so no write path can forget it: a point inserted for a diner
takes the card of its row; an update of a scoring column of a row rewrites its point's card in
the same transaction. Existing points get theirs here.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

SCORING = ("cuisines", "dietary", "spice_level", "budget_level", "last_active_at", "suspended_until", "discoverable")

FORWARDS = [
    f"""CREATE FUNCTION diner_card(u users) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object({", ".join(f"'{c}', u.{c}" for c in SCORING)}) $$""",
    """CREATE FUNCTION geo_points_diner_card() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.card := (SELECT diner_card(u) FROM users AS u WHERE u.id = NEW.object_id);
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER geo_points_diner_card BEFORE INSERT OR UPDATE OF kind, object_id ON geo_points
    FOR EACH ROW WHEN (NEW.kind = 'diner') EXECUTE FUNCTION geo_points_diner_card()""",
    """CREATE FUNCTION users_diner_card() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE geo_points SET card = diner_card(NEW) WHERE kind = 'diner' AND object_id = NEW.id;
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER users_diner_card AFTER UPDATE OF {", ".join(SCORING)} ON users
    FOR EACH ROW WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in SCORING)})
    EXECUTE FUNCTION users_diner_card()""",
    "UPDATE geo_points AS g SET card = diner_card(u) FROM users AS u WHERE g.kind = 'diner' AND u.id = g.object_id",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS users_diner_card ON users",
    "DROP FUNCTION IF EXISTS users_diner_card()",
    "DROP TRIGGER IF EXISTS geo_points_diner_card ON geo_points",
    "DROP FUNCTION IF EXISTS geo_points_diner_card()",
    "DROP FUNCTION IF EXISTS diner_card(users)",
    "UPDATE geo_points SET card = NULL WHERE kind = 'diner'",
]


async def forwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for statement in FORWARDS:
            await client.execute_script(statement)


async def backwards(apps, schema_editor) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for statement in BACKWARDS:
            await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("foodies", "0002_reverse_lookups"),
        ("geo", "0005_cards"),
        ("accounts", "0002_device_sessions"),
    ]

    operations = [ops.RunPython(forwards, backwards)]
