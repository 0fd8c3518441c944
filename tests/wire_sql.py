"""Counts statements as they go to the database driver, pool housekeeping included.

Tortoise's log (tests/conftest.py `count_sql`) sees only the statements Tortoise sends; on
PostgreSQL the pool also sends its own (the reset on release, BEGIN/COMMIT), which cost round
trips all the same. This wraps asyncpg's Connection (a library class, not our database) so a
test can count every statement of one task and the tasks it starts. On SQLite there is no pool
reset: Tortoise's log is the whole story.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tests.conftest import count_sql

_COUNTING: ContextVar[list[str] | None] = ContextVar("counting_wire", default=None)


@contextmanager
def _asyncpg_patched() -> Iterator[None]:
    from asyncpg.connection import Connection

    simple, extended, many = Connection.execute, Connection._execute, Connection.executemany

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args and (seen := _COUNTING.get()) is not None:
            seen.append(query)  # with args, execute goes through _execute (counted there)
        return await simple(self, query, *args, **kwargs)

    async def _execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if (seen := _COUNTING.get()) is not None:
            seen.append(query)
        return await extended(self, query, *args, **kwargs)

    async def executemany(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if (seen := _COUNTING.get()) is not None:
            seen.append(query)
        return await many(self, query, *args, **kwargs)

    Connection.execute, Connection._execute, Connection.executemany = execute, _execute, executemany
    try:
        yield
    finally:
        Connection.execute, Connection._execute, Connection.executemany = simple, extended, many


class Wire:
    def __init__(self, postgres: bool) -> None:
        self.postgres = postgres
        self.sent: list[str] = []
        self.logged: list[str] = []

    @property
    def statements(self) -> list[str]:
        """Everything sent to the database (PostgreSQL: as the driver saw it)."""
        return self.sent if self.postgres else self.logged


@contextmanager
def count_wire(postgres: bool, *, expect_some: bool = True) -> Iterator[Wire]:
    """Statements this task sends; `expect_some=False` for code that should send none."""
    wire = Wire(postgres)
    token = _COUNTING.set(wire.sent)
    try:
        if postgres:
            with _asyncpg_patched(), _logged(wire, expect_some):
                yield wire
        else:
            with _logged(wire, expect_some):
                yield wire
    finally:
        _COUNTING.reset(token)


@contextmanager
def _logged(wire: Wire, expect_some: bool) -> Iterator[None]:
    if expect_some:
        with count_sql() as sql:
            wire.logged = sql.statements
            yield
        return
    with _quiet_count() as statements:
        wire.logged = statements
        yield


@contextmanager
def _quiet_count() -> Iterator[list[str]]:
    """count_sql without its "at least one statement" assertion."""
    import logging

    from tests.conftest import _COUNTING as LOGGED
    from tests.conftest import SQLCounter

    logger = logging.getLogger("tortoise.db_client")
    counter, previous = SQLCounter(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    token = LOGGED.set(counter)
    try:
        yield counter.statements
    finally:
        LOGGED.reset(token)
        logger.removeHandler(counter)
        logger.setLevel(previous)


async def with_and_without(
    client: Any, query: str, marker: str, field: str, variables: dict[str, Any], token: str | None
) -> tuple[dict[str, Any], list[str], list[str]]:
    """What asking `field` costs a page: its statements without the field and with it (`marker`
    in `query` stands where it goes), after a warming request (the viewer and per-kind lookups
    cached). Returns the answer with the field and both statement lists."""
    from tests.conftest import BACKEND
    from tests.helpers import gql
    from tests.test_claim_gate import besides_authentication

    plain, asked = query.replace(marker, ""), query.replace(marker, field)
    await gql(client, plain, variables, token)
    counts: dict[str, list[str]] = {}
    body: dict[str, Any] = {}
    for name, text in (("plain", plain), ("asked", asked)):
        with count_wire(BACKEND == "services") as wire:
            body = await gql(client, text, variables, token)
        counts[name] = besides_authentication(wire.statements)
    return body, counts["plain"], counts["asked"]
