"""Migrations through Tortoise's own migration engine, one migrations package per app."""

from __future__ import annotations

from tortoise.config import TortoiseConfig

from models import tortoise_config
from settings import Settings


def _progress(event: str, app_label: str, name: str) -> None:
    if event == "apply_done":
        print(f"  applied {app_label}.{name}")


async def migrate(settings: Settings) -> None:
    """Apply every pending migration of every installed app."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.api import migrate as migrate_api

    config = tortoise_config(settings, pool_max=2)
    async with tortoise_cli_context(config):
        await migrate_api(config=config, progress=_progress)


async def makemigrations(settings: Settings, app_labels: list[str], *, check: bool = False) -> list[str]:
    """Developer tool: write migrations for model changes (Tortoise's autodetector).

    With `check`, nothing is written: the names of the migrations that would be are returned, so
    CI can fail when a model changed without its migration (or a migration drifted from its model).
    """
    from tortoise.cli import cli

    config = tortoise_config(settings, pool_max=2)
    cli._load_config = lambda _ctx: TortoiseConfig.resolve_args(config, None)  # type: ignore[attr-defined]
    # Tortoise loads only the named apps, which breaks cross-app foreign keys; so every app is
    # loaded and the autodetector writes migrations for the apps whose models changed.
    del app_labels
    if not check:
        await cli.makemigrations(cli.CLIContext(None, None), (), False, None)
        return []
    from tortoise.migrations.autodetector import MigrationAutodetector

    apps = {label: dict(app) for label, app in config["apps"].items() if app.get("migrations")}
    async with cli.tortoise_cli_context(config) as context:
        writers = await MigrationAutodetector(context.apps, apps).changes()
    return [f"{writer.app_label}.{writer.name}" for writer in writers]


async def pending_migrations(settings: Settings) -> list[str]:
    """Migrations not yet applied ("app.name"), read with Tortoise already initialised."""
    from tortoise import connections
    from tortoise.migrations.executor import MigrationExecutor

    apps = tortoise_config(settings, pool_max=2)["apps"]
    by_connection: dict[str, dict[str, dict]] = {}
    for label, app in apps.items():
        if app.get("migrations"):
            by_connection.setdefault(app.get("default_connection", "default"), {})[label] = app
    pending: list[str] = []
    for name, subset in by_connection.items():
        steps = await MigrationExecutor(connections.get(name), subset).plan()
        pending += [f"{s.migration.app_label}.{s.migration.name}" for s in steps if not s.backward]
    return pending


def unknown_apps(app_labels: list[str]) -> list[str]:
    """Labels that name no installed app (makemigrations refuses them)."""
    from models import installed_apps

    known = {label for label, _ in installed_apps()}
    return [label for label in app_labels if label not in known]
