"""The process around the schema: HTTP conventions, health, metrics, errors, settings, CLI."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from settings import Settings, SettingsError
from tests.helpers import gql, register, unique_email

ROOT = Path(__file__).resolve().parent.parent


async def test_healthz_and_readyz(client):
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "storage": "ok", "migrations": "ok"}


async def test_metrics_are_prometheus_text(client):
    await client.get("/healthz")
    body = (await client.get("/metrics")).text
    assert "tablemates_http_requests_total" in body


async def test_get_query_and_graphql_response_json(client):
    response = await client.get(
        "/graphql", params={"query": "{ me { id } }"}, headers={"Accept": "application/graphql-response+json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert response.json() == {"data": {"me": None}}


async def test_mutations_are_not_allowed_over_get(client):
    response = await client.get(
        "/graphql", params={"query": 'mutation { login(email:"a", password:"b") { token } }'}
    )
    assert response.status_code in (400, 405)


async def test_internal_errors_are_masked_with_request_id(client, monkeypatch):
    from resolvers.accounts import accounts

    async def broken(ctx, lat, lng):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(accounts, "update_location", broken)
    token, _, _ = await register(client)
    response = await client.post(
        "/graphql",
        json={"query": "mutation { updateLocation(lat: 1, lng: 2) { errors { code } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert "hunter2" not in response.text
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]


async def test_node_resolves_users_by_global_id(client):
    token, user_id, _ = await register(client, name="节点")
    body = await gql(
        client, "query($id: ID!) { node(id: $id) { id ... on User { displayName } } }", {"id": user_id}
    )
    assert body["data"]["node"] == {"id": user_id, "displayName": "节点"}


async def test_depth_and_alias_limits(client):
    deep = "{ me { " * 20 + "id" + " }" * 20
    body = await gql(client, deep, expect_errors=True)
    assert body["errors"]
    aliases = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(40)) + " }"
    body = await gql(client, aliases, expect_errors=True)
    assert "aliases" in body["errors"][0]["message"].lower()


def test_settings_name_the_bad_variable():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": "mysql://x"})
    with pytest.raises(SettingsError, match="REDIS_URL"):
        Settings.from_env({"REDIS_URL": "http://x"})
    with pytest.raises(SettingsError, match="S3_BUCKET"):
        Settings.from_env({"MEDIA_BACKEND": "s3"})
    with pytest.raises(SettingsError, match="MAX_QUERY_DEPTH"):
        Settings.from_env({"MAX_QUERY_DEPTH": "deep"})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env({"ENV": "production"})
    production = Settings.from_env({"ENV": "production", "SECRET_KEY": secrets.token_hex(32)})
    assert production.introspection is False


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "ENV": "test",
        "SECRET_KEY": settings.secret_key,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "MEDIA_ROOT": str(settings.media_root),
    }
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    if settings.media_backend == "s3":
        env.update(
            MEDIA_BACKEND="s3",
            S3_BUCKET=settings.s3_bucket or "",
            S3_ENDPOINT_URL=settings.s3_endpoint_url or "",
        )
    return subprocess.run(
        [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_cli_create_user_with_role_then_login(client, settings):
    email = unique_email("mod")
    result = _cli(
        settings, "create-user", "--email", email, "--password", "moderate well 1", "--role", "moderator"
    )
    assert result.returncode == 0, result.stderr
    login = await gql(
        client,
        'mutation($e: String!) { login(email: $e, password: "moderate well 1") { user { role } errors { code } } }',
        {"e": email},
    )
    assert login["data"]["login"]["user"]["role"] == "MODERATOR"
    again = _cli(settings, "create-user", "--email", email, "--password", "moderate well 1")
    assert again.returncode == 1 and "EMAIL_TAKEN" in again.stderr


def test_cli_refuses_bad_configuration():
    env = {**os.environ, "DATABASE_URL": "oracle://nope"}
    result = subprocess.run(
        [sys.executable, "app.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_seed_demo_is_deterministic(tmp_path):
    """Two fresh databases seeded with the same --seed hold the same city."""
    import sqlite3

    from tests.servers import migrated_sqlite

    def seeding(name: str) -> subprocess.Popen:
        """`seed-demo` into a fresh migrated file; both run at once (each takes seconds)."""
        db = migrated_sqlite(tmp_path / f"{name}.sqlite3")
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite://{db}",
            "MEDIA_ROOT": str(tmp_path / name),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
        }
        return subprocess.Popen(
            [sys.executable, "app.py", "seed-demo", "--seed", "3", "--diners", "60"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def seeded(name: str, process: subprocess.Popen) -> list[tuple]:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
        db = tmp_path / f"{name}.sqlite3"
        with sqlite3.connect(db) as conn:
            users = conn.execute(
                "SELECT email, display_name, lat, lng, cuisines FROM users WHERE role = 'diner' ORDER BY id"
            ).fetchall()
            places = conn.execute("SELECT name, lat, lng FROM restaurants ORDER BY id").fetchall()
            reviews = conn.execute(
                "SELECT author_id, dish_id, rating, body FROM reviews ORDER BY id"
            ).fetchall()
            dishes = conn.execute("SELECT count(*) FROM dishes").fetchone()[0]
            favourites = conn.execute(
                "SELECT l.owner_id, l.name, i.kind, i.restaurant_id, i.dish_id, i.meal_id "
                "FROM favourite_items i JOIN favourite_lists l ON l.id = i.list_id ORDER BY i.id"
            ).fetchall()
            return users, places, reviews, dishes, favourites

    runs = {name: seeding(name) for name in ("a", "b")}
    first, second = (seeded(name, process) for name, process in runs.items())
    users, places, reviews, dishes, favourites = first
    assert len({row[0] for row in favourites}) == 12 and {row[2] for row in favourites} >= {"restaurant", "dish"}
    assert len(users) == 60 and first == second
    assert any("\u4e00" <= ch <= "\u9fff" for row in users for ch in row[1])  # Chinese names
    assert len(places) >= 20 and dishes >= 100 and len(reviews) >= 50


async def test_readyz_fails_when_redis_is_down(client, services):
    import redis.asyncio as redis_asyncio

    working = services.redis
    services.redis = redis_asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        response = await client.get("/readyz")
    finally:
        await services.redis.aclose()
        services.redis = working
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


async def test_chinese_text_is_sent_as_utf8(client):
    token, _, _ = await register(client, name="火锅达人")
    response = await client.post(
        "/graphql", json={"query": "{ me { displayName } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert "火锅达人".encode() in response.content
