"""Readiness: does every configured dependency answer?"""

from __future__ import annotations

import asyncio
import logging

from tortoise import connections

from core.context import Services

log = logging.getLogger("tablemates.health")


def failed(name: str, error: BaseException) -> str:
    """What /readyz says of a failed check: the error's kind, never its text, which names hosts,
    ports, users and buckets (`Connect call failed ('10.0.3.5', 5432)`) to anyone who asks; the
    text goes to the log."""
    log.warning("readiness check %s failed: %s: %s", name, type(error).__name__, error)
    return f"error: {type(error).__name__}"


async def check_dependencies(services: Services, timeout: float = 2.0) -> dict[str, str]:
    """Map of dependency -> "ok" or "error: <kind>" (the text is logged)."""
    checks = {
        "database": _database(),
        "redis": services.redis.ping(),
        "storage": services.storage.ping(),
    }
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await asyncio.wait_for(check, timeout)
            results[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure means not ready
            results[name] = failed(name, error)
    return results


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")
