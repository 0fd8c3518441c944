"""Readiness: does every configured dependency answer?"""

from __future__ import annotations

import asyncio

from tortoise import connections

from core.context import Services


async def check_dependencies(services: Services, timeout: float = 2.0) -> dict[str, str]:
    """Map of dependency -> "ok" or the error text."""
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
            results[name] = f"error: {type(error).__name__}: {error}"[:200]
    return results


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")
