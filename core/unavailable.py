"""Which failures mean "a store (PostgreSQL, SQLite, Redis) cannot be reached right now".

Such a failure is not a bug: the request may succeed when retried after a short wait, so the
client gets UNAVAILABLE (HTTP 503 with Retry-After) instead of a masked internal error. The
drivers reconnect by themselves (asyncpg's pool replaces closed connections on acquire;
redis.asyncio retries on a fresh connection), so nothing here restarts anything.
"""

from __future__ import annotations

import sqlite3

import asyncpg
import redis.exceptions as redis_errors
from tortoise.exceptions import DBConnectionError

# Seconds a client should wait before retrying: a restart of PostgreSQL or Redis takes about that.
RETRY_AFTER_SECONDS = 2
MESSAGE = "Temporarily unavailable, try again shortly"

_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe (the OS's words for it)
    TimeoutError,  # connect or read timed out (asyncio.TimeoutError is this class)
    DBConnectionError,  # Tortoise could not open its pool
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08: the connection is gone
    asyncpg.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01: terminated by a restart
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed
    asyncpg.TooManyConnectionsError,  # 53300: all slots taken
    # 40P01, 40001: PostgreSQL rolled the statement or transaction back whole to break a lock
    # cycle or a serialization conflict; nothing was written, and a retry may well succeed.
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    redis_errors.ConnectionError,  # includes BusyLoadingError (Redis loading its dataset)
    redis_errors.TimeoutError,
    redis_errors.ReadOnlyError,  # writing to a replica during a failover
)
# Driver errors whose class also covers bugs: only these messages mean a lost or busy store.
_BY_MESSAGE: tuple[tuple[type[BaseException], tuple[str, ...]], ...] = (
    (asyncpg.InterfaceError, ("connection is closed", "pool is closing")),
    (sqlite3.OperationalError, ("database is locked", "unable to open database file", "disk i/o error")),
    (sqlite3.ProgrammingError, ("closed database",)),
    (ValueError, ("connection closed", "no active connection")),  # aiosqlite's closed connection
)


def is_unavailable(error: BaseException) -> bool:
    """True when `error`, or an exception it was raised from, is a lost or refused connection.

    The chain is walked because ORMs re-raise driver errors as their own (Tortoise's
    OperationalError `from` sqlite3's)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _CONNECTION_LOST):
            return True
        for kind, messages in _BY_MESSAGE:
            if isinstance(current, kind) and any(m in str(current).lower() for m in messages):
                return True
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return False
