"""Decide from the row a statement changed, never from a value read before it.

`update_returning` runs one conditional `UPDATE ... RETURNING` (PostgreSQL; SQLite since 3.35)
and hands back the rows it changed: whatever the caller decides next (refund or not, by how much
a counter moves) comes from those rows, so no other writer can slip in between the check and the
change. Columns the statement does not assign come back as they were in the locked row.

`lock_row` takes the row's write lock at the start of a transaction (PostgreSQL `FOR UPDATE`;
on SQLite a no-op UPDATE, which takes the database's write lock before anything is read), so
every writer that locks the same row first runs one after the other.

Both run on the current connection: inside `in_transaction("default")` they join it. SQL is
written with `?` placeholders; PostgreSQL gets `$1, $2 ...`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tortoise import connections

_PLACEHOLDER = re.compile(r"\?")


def in_dialect(conn: Any, statement: str) -> str:
    """A statement written with `?` placeholders as the connection's dialect takes it."""
    if conn.capabilities.dialect != "postgres":
        return statement
    numbers = iter(range(1, statement.count("?") + 1))
    return _PLACEHOLDER.sub(lambda _: f"${next(numbers)}", statement)


async def update_returning(
    table: str, assignments: str, where: str, values: Sequence[Any], returning: str
) -> list[dict[str, Any]]:
    """`UPDATE table SET assignments WHERE where RETURNING returning`: the rows it changed."""
    conn = connections.get("default")
    statement = f"UPDATE {table} SET {assignments} WHERE {where} RETURNING {returning}"
    return await conn.execute_query_dict(in_dialect(conn, statement), list(values))


async def lock_row(
    table: str, row_id: int, columns: str, *, strength: str = "UPDATE"
) -> dict[str, Any] | None:
    """Lock one row for the rest of the transaction and return its current columns.

    `strength="NO KEY UPDATE"` (PostgreSQL) still serializes every writer that locks the row, but
    lets others insert rows referencing it: their foreign-key checks take KEY SHARE, which FOR
    UPDATE blocks (a lock on a diner's row then deadlocks with their review being written)."""
    if strength not in ("UPDATE", "NO KEY UPDATE"):
        raise ValueError(f"not a row lock: {strength!r}")
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            f"SELECT {columns} FROM {table} WHERE id = $1 FOR {strength}", [row_id]
        )
    else:
        rows = await update_returning(table, "id = id", "id = ?", [row_id], columns)
    return rows[0] if rows else None


async def execute(statement: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """One statement with `?` placeholders on the current connection (e.g. an upsert)."""
    conn = connections.get("default")
    return await conn.execute_query_dict(in_dialect(conn, statement), list(values))


async def one_at_a_time(name: str) -> None:
    """Run the rest of the transaction after every other one that called this with `name`
    (PostgreSQL: a transaction-scoped advisory lock; SQLite's writers are one at a time already).

    For rare human decisions (moderation) whose row locks could otherwise cross."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [name])
    else:  # take the database's write lock now, as lock_row does
        await conn.execute_query("UPDATE users SET id = id WHERE 0")
