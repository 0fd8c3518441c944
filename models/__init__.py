"""Tortoise apps: one app per domain, each with its own migrations package.

One app per domain keeps migrations of different domains apart, so domains evolve
independently; foreign keys across apps use "app.Model" references.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from settings import Settings

CONNECT_TIMEOUT_SECONDS = 5

# Order matters only for readability; Tortoise resolves cross-app references itself.
DOMAIN_APPS: tuple[tuple[str, str], ...] = (
    ("accounts", "models.accounts"),
    ("geo", "geo.models"),
    ("foodies", "models.foodies"),
    ("restaurants", "models.restaurants"),
    ("reviews", "models.reviews"),
    ("feed", "models.feed"),
    ("meals", "models.meals"),
    ("deals", "models.deals"),
    ("moderation", "models.moderation"),
    ("insights", "models.insights"),
    ("conversations", "models.conversations"),
    ("search", "models.search"),
    ("hours", "models.hours"),
    ("tables", "models.tables"),
    ("notifications", "models.notifications"),
    ("privacy", "models.privacy"),
    ("trust", "models.trust"),
    ("favourites", "models.favourites"),
)


def installed_apps() -> list[tuple[str, str]]:
    """Domain apps whose model module exists (domains are added one issue at a time)."""
    return [(label, module) for label, module in DOMAIN_APPS if importlib.util.find_spec(module)]


async def keep_session(connection: object) -> None:
    """asyncpg pool `reset`: nothing to undo (see _connection)."""


def _connection(url: str, settings: Settings, pool_max: int) -> Any:
    if settings.is_postgres:
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(url)
        connection["credentials"]["maxsize"] = pool_max
        # JIT compiles for hundreds of ms on queries that run in a few: never worth it for OLTP.
        connection["credentials"]["server_settings"] = {"jit": "off"}
        connection["credentials"]["minsize"] = 1
        # No `RESET ALL; UNLISTEN *; CLOSE ALL; pg_advisory_unlock_all()` each time a connection
        # goes back to the pool (asyncpg's default: one more round trip per statement outside a
        # transaction). Nothing here changes session state (no SET, LISTEN, cursors or advisory
        # locks on pooled connections); asyncpg still rolls back an open transaction itself.
        connection["credentials"]["reset"] = keep_session
        # asyncpg's pool replaces a closed connection on the next acquire, so a restart of
        # PostgreSQL heals by itself; while it is down, a connect gives up after this many seconds
        # (asyncpg's default is 60) and the request answers 503 (core/unavailable.py).
        connection["credentials"]["timeout"] = CONNECT_TIMEOUT_SECONDS
        return connection
    # SQLite cannot create the folder of its file (and aiosqlite then hangs): make it.
    Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    return url


def tortoise_config(settings: Settings, *, pool_max: int = 10) -> dict[str, Any]:
    credentials: dict[str, Any]
    connection = _connection(settings.database_url, settings, pool_max)
    credentials = {"default": connection}
    if settings.database_replica_url:
        # Reads that tolerate lag (feeds, nearby, insights) go here: see core/replica.py.
        credentials["replica"] = _connection(settings.database_replica_url, settings, pool_max)
    apps = {
        label: {
            "models": [module],
            "default_connection": "default",
            "migrations": f"models.migrations.{label}",
        }
        for label, module in installed_apps()
    }
    return {"connections": credentials, "apps": apps, "use_tz": True, "timezone": "UTC"}
