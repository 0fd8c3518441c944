"""What both geo backends share: the Tortoise connections they write and read, and the writes.

Only the SQL dialect differs in writes (placeholders), so each backend gives its statements.
"""

from __future__ import annotations

from typing import Any

from tortoise import connections


class PointStore:
    UPSERT: str
    DELETE: str

    def __init__(self, connection_name: str = "default", read_connection_name: str | None = None) -> None:
        self._connection_name = connection_name
        self._read_connection_name = read_connection_name or connection_name

    def _conn(self) -> Any:
        return connections.get(self._connection_name)

    def _read_conn(self) -> Any:
        """Lag-tolerant reads (`within`): a replica when one is configured."""
        return connections.get(self._read_connection_name)

    async def upsert(self, kind: str, object_id: int, lat: float, lng: float) -> None:
        await self._conn().execute_query(self.UPSERT, [kind, object_id, lat, lng])

    async def remove(self, kind: str, object_id: int) -> None:
        await self._conn().execute_query(self.DELETE, [kind, object_id])
