"""Test harness: the real app over httpx's ASGI transport, on SQLite or PostGIS+Redis+S3.

TEST_BACKEND=embedded (default): a fresh SQLite file, fakeredis, local media.
TEST_BACKEND=services: a fresh PostgreSQL database with PostGIS (from TEST_POSTGRES_URL),
real Redis (REDIS_URL) and S3 (S3_ENDPOINT_URL). With CI set, a missing service fails the run.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from settings import Settings

BACKEND = os.environ.get("TEST_BACKEND", "embedded")
RUN_ID = uuid.uuid4().hex[:8]


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.exit(f"required test service missing: {reason}", returncode=3)
    pytest.exit(f"TEST_BACKEND=services but {reason}", returncode=3)


async def _create_postgres_database(admin_url: str, name: str) -> str:
    import asyncpg

    try:
        conn = await asyncpg.connect(admin_url, timeout=5)
    except Exception as error:  # noqa: BLE001
        _fail_or_skip(f"PostgreSQL at {admin_url} does not answer: {error}")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_url.rsplit("/", 1)[0]
    db_url = f"{base}/{name}"
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except Exception as error:  # noqa: BLE001
        _fail_or_skip(f"PostGIS extension unavailable: {error}")
    finally:
        await conn.close()
    return db_url


async def _drop_postgres_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def _base_env(tmp: Path) -> dict[str, str]:
    return {
        "ENV": "test",
        "SECRET_KEY": "test-" + secrets.token_hex(24),  # production-strength: tests start production servers
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "RATE_LIMIT_WRITES_PER_MINUTE": "100000",
        "RATE_LIMIT_LOGINS_PER_MINUTE": "100000",
        "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "100000",
        "RATE_LIMIT_REVIEWS_PER_HOUR": "100000",
        "RATE_LIMIT_UPLOADS_PER_HOUR": "100000",
        "JOB_INTERVAL_SECONDS": "1",
        "SETTLE_INTERVAL_SECONDS": "0",  # tests run settle-suspensions themselves, at chosen moments
        "PUSH_INTERVAL_SECONDS": "0",  # tests drain the push outbox themselves
        "MEDIA_ROOT": str(tmp / "media"),
        "PUBLIC_BASE_URL": "http://testserver",
        # A shared Redis keeps limits and channels of earlier runs: each run has its own keys.
        "REDIS_NAMESPACE": f"test-{RUN_ID}",
    }


@pytest.fixture(scope="session")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    tmp = tmp_path_factory.mktemp("tablemates")
    env = _base_env(tmp)
    if BACKEND == "services":
        admin_url = os.environ.get("TEST_POSTGRES_URL")
        redis_url = os.environ.get("REDIS_URL")
        s3_endpoint = os.environ.get("S3_ENDPOINT_URL")
        if not (admin_url and redis_url and s3_endpoint):
            _fail_or_skip("TEST_POSTGRES_URL, REDIS_URL and S3_ENDPOINT_URL must be set")
        db_name = f"tablemates_test_{RUN_ID}"
        env["DATABASE_URL"] = await _create_postgres_database(admin_url, db_name)
        env.update(
            REDIS_URL=redis_url,
            MEDIA_BACKEND="s3",
            S3_BUCKET=f"tablemates-test-{RUN_ID}",
            S3_ENDPOINT_URL=s3_endpoint,
        )
        await _check_redis(redis_url)
        yield Settings.from_env(env)
        await _drop_postgres_database(admin_url, db_name)
    else:
        env["DATABASE_URL"] = f"sqlite://{tmp / 'test.sqlite3'}"
        yield Settings.from_env(env)


async def _check_redis(url: str) -> None:
    import redis.asyncio as redis_asyncio

    client = redis_asyncio.Redis.from_url(url)
    try:
        await client.ping()
    except Exception as error:  # noqa: BLE001
        _fail_or_skip(f"Redis at {url} does not answer: {error}")
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    from app import create_app
    from models.migrate import migrate

    await migrate(settings)
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def services(app: Any) -> Any:
    return app.state.services


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(f"10.9.{uuid.uuid4().int % 250}.1", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@contextmanager
def override_settings(services: Any, **changes: Any):
    """Temporarily change settings the running app reads per request (e.g. rate limits)."""
    original = services.settings
    services.settings = replace(original, **changes)
    try:
        yield
    finally:
        services.settings = original


class SQLCounter(logging.Handler):
    """Counts SQL statements Tortoise sends (it logs each one on tortoise.db_client), only those
    of the counting task and the tasks it starts: scheduled jobs running meanwhile in the same
    process (every second in tests) are not the request's statements."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if _COUNTING.get() is self:
            self.statements.append(record.getMessage())


_COUNTING: ContextVar[SQLCounter | None] = ContextVar("counting_sql", default=None)


@contextmanager
def count_sql():
    logger = logging.getLogger("tortoise.db_client")
    counter = SQLCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    token = _COUNTING.set(counter)
    try:
        yield counter
        assert counter.statements, "no SQL statement counted: the counter no longer sees the request"
    finally:
        _COUNTING.reset(token)
        logger.removeHandler(counter)
        logger.setLevel(previous)
