"""Deployment files, tested without Docker: the entrypoint script for real, compose and the
Dockerfile by reading them against the settings the app accepts."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import httpx
import yaml

from settings import Settings, SettingsError
from tests.servers import ROOT, free_port, migrated_sqlite

ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"


def _env(tmp_path, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MEDIA_BACKEND")},
        "PYTHON": sys.executable,
        "ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite://{tmp_path / 'prod.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ALLOW_TEST_PAYMENTS": "1",
        **extra,
    }


def test_entrypoint_migrates_serves_and_stops(tmp_path):
    migrated_sqlite(tmp_path / "prod.sqlite3")  # the entrypoint's migrate then has nothing to do
    port = free_port()
    env = _env(tmp_path, HOST="127.0.0.1", PORT=str(port), WORKERS="1")
    process = subprocess.Popen(
        ["sh", str(ENTRYPOINT)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline, ready = time.monotonic() + 60, None
        while time.monotonic() < deadline and ready is None:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
            except httpx.HTTPError:
                time.sleep(0.3)
        assert ready is not None and ready.status_code == 200, ready
        body = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": "{ cuisineTags { tag } }"}
        ).json()
        assert body["data"]["cuisineTags"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "database is at the latest schema" in output
    assert process.returncode in (0, -signal.SIGTERM)


def test_entrypoint_passes_other_commands_to_the_cli(tmp_path):
    migrated_sqlite(tmp_path / "prod.sqlite3")  # `migrate` below is passed through, with nothing to do
    env = _env(tmp_path)
    assert (
        subprocess.run(
            ["sh", str(ENTRYPOINT), "migrate"], env=env, capture_output=True, timeout=120
        ).returncode
        == 0
    )
    made = subprocess.run(
        [
            "sh",
            str(ENTRYPOINT),
            "create-user",
            "--email",
            "ops@example.com",
            "--password",
            "correct horse battery",
            "--role",
            "admin",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0 and "created admin ops@example.com" in made.stdout


def test_entrypoint_refuses_production_without_a_secret(tmp_path):
    env = _env(tmp_path)
    del env["SECRET_KEY"]
    done = subprocess.run(["sh", str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SECRET_KEY" in done.stderr


def test_compose_runs_migrations_once_then_workers_with_settings_the_app_accepts():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "s3", "migrate", "api"} <= set(services)
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["migrate"]
    env = {k: str(v).replace("${POSTGRES_PASSWORD}", "pw") for k, v in services["api"]["environment"].items()}
    env.update(ENV="production", SECRET_KEY=secrets.token_hex(32))
    settings = Settings.from_env(
        {k: v.replace("${S3_ACCESS_KEY}", "a").replace("${S3_SECRET_KEY}", "b") for k, v in env.items()}
    )
    assert settings.is_postgres and settings.media_backend == "s3" and settings.redis_url
    assert "WORKERS" in env and services["api"]["stop_grace_period"]
    try:
        Settings.from_env({**env, "SECRET_KEY": "change-me"})
        raise AssertionError("a weak secret must be refused in production")
    except SettingsError as error:
        assert "SECRET_KEY" in str(error)


def test_dockerfile_is_locked_small_and_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "USER tablemates" in dockerfile and "slim" in dockerfile
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    assert os.access(ENTRYPOINT, os.X_OK)
