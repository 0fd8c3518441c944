"""Raw SQL for both dialects: `?` (SQLite) or `$n` (asyncpg) placeholders, from one builder."""

from __future__ import annotations

from typing import Any

from tortoise import connections


def is_postgres(connection_name: str = "default") -> bool:
    return connections.get(connection_name).capabilities.dialect == "postgres"


class Params:
    """Collects parameters and hands out the dialect's placeholder for each."""

    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        if self.postgres:
            return f"${len(self.values)}{cast}"
        return "?"


async def rows(sql: str, params: Params, connection_name: str = "default") -> list[dict[str, Any]]:
    return await connections.get(connection_name).execute_query_dict(sql, params.values)
