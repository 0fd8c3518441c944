"""Real `app.py serve` processes for tests that cross process boundaries (pub/sub, shutdown)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_redis_url(settings: Settings) -> str:
    """Cross-process tests need a real Redis: the configured one, or REDIS_URL from the env."""
    url = settings.redis_url or os.environ.get("REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no REDIS_URL: cross-process tests need a real Redis")
        pytest.skip("needs a real Redis (set REDIS_URL)")
    return url


def server_env(settings: Settings, redis_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": redis_url or "",
        "SECRET_KEY": settings.secret_key,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "MEDIA_ROOT": str(settings.media_root),
        "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "100000",
        "REDIS_NAMESPACE": settings.redis_namespace,
        "ALLOW_TEST_PAYMENTS": "1",  # servers started with ENV=production keep the test provider
    }
    if settings.media_backend == "s3":
        env.update(
            MEDIA_BACKEND="s3",
            S3_BUCKET=settings.s3_bucket or "",
            S3_ENDPOINT_URL=settings.s3_endpoint_url or "",
        )
    return env


_migrated: set[str] = set()
_template: list[Path] = []


def migrated_sqlite(path: Path) -> Path:
    """A fresh SQLite file at `path` at the latest schema: a copy of one migrated once per run.
    `app.py migrate` from nothing takes ~8 s (Tortoise renders every migration's state); the
    tests that need a fresh file for a subprocess are about what comes after it."""
    if not _template:
        folder = Path(tempfile.mkdtemp(prefix="tablemates-template-"))
        template = folder / "migrated.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite://{template}", "MEDIA_ROOT": str(folder / "media")}
        subprocess.run(
            [sys.executable, "app.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
        )
        _template.append(template)
    shutil.copyfile(_template[0], path)
    return path


def ensure_migrated(env: dict[str, str]) -> None:
    """`serve` refuses pending migrations: migrate a test's database once (the `app` fixture
    does it too, but a test may start servers without it)."""
    if env["DATABASE_URL"] in _migrated:
        return
    subprocess.run(
        [sys.executable, "app.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    _migrated.add(env["DATABASE_URL"])


@contextmanager
def running_servers(
    settings: Settings, count: int = 2, extra_env: dict[str, str | None] | None = None, shared_redis: bool = True
) -> Iterator[list[str]]:
    """Start `count` app processes sharing the database (and Redis); yield their base URLs.
    An `extra_env` value of None removes that variable."""
    redis_url = shared_redis_url(settings) if shared_redis else settings.redis_url
    env = {**server_env(settings, redis_url), **(extra_env or {})}
    env = {name: value for name, value in env.items() if value is not None}
    ensure_migrated(env)
    processes, urls = [], []
    # A file, not a pipe: nobody reads a pipe while the test runs, and once its 64 KB fill up
    # (tracebacks during an outage) the server blocks on its next log line.
    logs = tempfile.TemporaryFile()
    try:
        for _ in range(count):
            port = free_port()
            processes.append(
                subprocess.Popen(
                    [sys.executable, "app.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=logs,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        for url, process in zip(urls, processes, strict=True):
            while True:
                if process.poll() is not None:
                    logs.seek(0)
                    raise RuntimeError(f"server exited: {logs.read().decode()[-2000:]}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in 60 s")
                time.sleep(0.2)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        logs.close()
