"""The command line a newcomer meets: help, refusals with a reason, idempotent demo, passwords."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import httpx

from app import build_parser
from settings import Settings
from tests.conftest import BACKEND, _create_postgres_database, _drop_postgres_database
from tests.helpers import gql, unique_email
from tests.servers import free_port, migrated_sqlite, server_env

ROOT = Path(__file__).resolve().parent.parent


def run_cli(args: list[str], env: dict[str, str], stdin: str | None = None, timeout: int = 120):
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=timeout,
    )


def test_every_command_and_option_has_help_and_shows_defaults():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.choices and isinstance(a.choices, dict))
    for name, sub in subparsers.choices.items():
        assert sub.description, name
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    serve_help = " ".join(subparsers.choices["serve"].format_help().split())
    assert "(default: 8000)" in serve_help and "(default: 127.0.0.1)" in serve_help


def test_port_out_of_range_and_unknown_app_are_errors(settings):
    env = server_env(settings, settings.redis_url)
    result = run_cli(["serve", "--port", "99999"], env)
    assert result.returncode == 2 and "between 1 and 65535" in result.stderr
    result = run_cli(["makemigrations", "bogus"], env)
    assert result.returncode == 2 and "unknown app(s): bogus" in result.stderr


def test_every_model_matches_its_migrations(settings):
    """A model changed without its migration (or a migration that drifted) fails here, not in production."""
    result = run_cli(["makemigrations", "--check"], server_env(settings, settings.redis_url))
    assert result.returncode == 0, result.stderr
    assert not list(ROOT.glob("models/migrations/*/*_auto_*.py")), "--check wrote a migration"


async def unmigrated(settings: Settings, tmp_path: Path) -> tuple[Settings, str | None]:
    if BACKEND != "services":
        return replace(settings, database_url=f"sqlite://{tmp_path / 'fresh.sqlite3'}"), None
    name = f"tablemates_fresh_{uuid.uuid4().hex[:8]}"
    return replace(settings, database_url=await _create_postgres_database(os.environ["TEST_POSTGRES_URL"], name)), name


async def test_serve_refuses_pending_migrations_and_readyz_reports_them(settings, tmp_path):
    fresh, pg_name = await unmigrated(settings, tmp_path)
    try:
        result = run_cli(["serve", "--port", str(free_port())], server_env(fresh, fresh.redis_url), timeout=60)
        assert result.returncode == 1, result.stderr
        assert "pending migration" in result.stderr and "python app.py migrate" in result.stderr
        assert "Traceback" not in result.stderr

        # Started some other way (uvicorn directly: `serve` would refuse), /readyz says why it is not ready.
        # A separate process: Tortoise is global, a second app in this one would close the suite's.
        port = free_port()
        env = {**server_env(fresh, fresh.redis_url), "JOB_INTERVAL_SECONDS": "0"}
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "app:asgi", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=15)
        assert response.status_code == 503
        status = response.json()["checks"]["migrations"]
        assert status.startswith("pending: ") and "0001_initial" in status and "app.py migrate" in status
    finally:
        if pg_name:
            await _drop_postgres_database(os.environ["TEST_POSTGRES_URL"], pg_name)


async def test_create_user_reads_the_password_from_stdin_or_refuses_without_a_terminal(settings, client):
    env = server_env(settings, settings.redis_url)
    email, password = unique_email("cli"), "stdin secret 42 horse"
    result = run_cli(["create-user", "--email", email, "--password-stdin"], env, stdin=password + "\n")
    assert result.returncode == 0, result.stderr
    assert password not in result.stdout
    login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"
    body = await gql(client, login, {"e": email, "p": password})
    assert body["data"]["login"]["token"]

    result = run_cli(["create-user", "--email", unique_email("cli")], env, stdin="")
    assert result.returncode == 2 and "--password-stdin" in result.stderr


def test_seed_demo_twice_is_harmless(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "REDIS_URL": "",
    }
    migrated_sqlite(tmp_path / "demo.sqlite3")
    first = run_cli(["seed-demo", "--diners", "5"], env, timeout=300)
    assert first.returncode == 0, first.stderr
    second = run_cli(["seed-demo", "--diners", "5"], env, timeout=300)
    assert second.returncode == 0 and "Traceback" not in second.stderr, second.stderr
    assert "already present" in second.stdout


def test_several_workers_without_redis_warn(settings):
    env = {**server_env(settings, None), "REDIS_URL": ""}
    process = subprocess.Popen(
        [sys.executable, "app.py", "serve", "--port", str(free_port()), "--workers", "2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "without REDIS_URL" in line or not line:
                break
        assert any("--workers 2 without REDIS_URL" in line for line in lines), lines
    finally:
        process.terminate()
        process.wait(timeout=15)
