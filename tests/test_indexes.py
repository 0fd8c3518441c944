"""Indexes the reads rely on exist on both backends (PostgreSQL indexes no foreign key itself)."""

from __future__ import annotations

import pytest
from tortoise import connections

# (table, index): the lookup it serves.
EXPECTED = [
    ("favourite_lists", "favourite_lists_owner"),  # a diner's lists: every save, "my lists"
    ("dishes", "dishes_restaurant_live"),  # a restaurant's menu
]


@pytest.mark.parametrize(("table", "index"), EXPECTED)
async def test_the_index_exists(client, table, index):
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        sql = "SELECT indexname AS name FROM pg_indexes WHERE tablename = $1"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
    _, rows = await connection.execute_query(sql, [table])
    assert index in {row["name"] for row in rows}
