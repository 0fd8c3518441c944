"""Tortoise apps: one app per domain, each with its own migrations package.

One app per domain keeps migrations of different domains apart, so domains evolve
independently; foreign keys across apps use "app.Model" references.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from settings import Settings

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
)


def installed_apps() -> list[tuple[str, str]]:
    """Domain apps whose model module exists (domains are added one issue at a time)."""
    return [(label, module) for label, module in DOMAIN_APPS if importlib.util.find_spec(module)]


def tortoise_config(settings: Settings, *, pool_max: int = 10) -> dict[str, Any]:
    credentials: dict[str, Any]
    if settings.is_postgres:
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(settings.database_url)
        connection["credentials"]["maxsize"] = pool_max
        connection["credentials"]["minsize"] = 1
    else:
        connection = settings.database_url
        # SQLite cannot create the folder of its file (and aiosqlite then hangs): make it.
        Path(connection.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    credentials = {"default": connection}
    apps = {
        label: {
            "models": [module],
            "default_connection": "default",
            "migrations": f"models.migrations.{label}",
        }
        for label, module in installed_apps()
    }
    return {"connections": credentials, "apps": apps, "use_tz": True, "timezone": "UTC"}
