"""Time every SQL statement Tortoise sends: a latency histogram and a slow-query log.

Tortoise has no hook for statement timings, so the client classes' execute methods are wrapped
once per process (idempotent). Statements over SLOW_QUERY_MS are logged (logger
`tablemates.slow_query`) with their SQL, truncated, and counted.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tablemates.slow_query")
METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many", "execute_script")
_threshold_ms = [200.0]
# What to do with each timing (seconds, slow?): the app hands in its metrics (core.metrics).
_observe: list[Callable[[float, bool], None]] = [lambda seconds, slow: None]


def _timed(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def run(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await method(self, query, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            slow = elapsed * 1000 >= _threshold_ms[0]
            _observe[0](elapsed, slow)
            if slow:
                log.warning(
                    "slow query", extra={"duration_ms": round(elapsed * 1000, 1), "sql": str(query)[:500]}
                )

    run.__tablemates_timed__ = True  # type: ignore[attr-defined]
    return run


def install(threshold_ms: float, observe: Callable[[float, bool], None] | None = None) -> None:
    """Wrap the SQLite and asyncpg clients' execute methods (once)."""
    from tortoise.backends.asyncpg.client import AsyncpgDBClient
    from tortoise.backends.sqlite.client import SqliteClient

    _threshold_ms[0] = threshold_ms
    if observe is not None:
        _observe[0] = observe
    for client in (SqliteClient, AsyncpgDBClient):
        for name in METHODS:
            method = getattr(client, name, None)
            if method is not None and not getattr(method, "__tablemates_timed__", False):
                setattr(client, name, _timed(method))
