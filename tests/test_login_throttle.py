"""Password guessing is throttled without letting a stranger lock the owner out."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.conftest import override_settings
from tests.helpers import gql, register, unique_email

PASSWORD = "correct horse battery"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"


@asynccontextmanager
async def from_address(app: Any, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def fresh_address() -> str:
    return f"10.77.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


async def login_code(http: httpx.AsyncClient, email: str, password: str) -> str:
    payload = (await gql(http, LOGIN, {"e": email, "p": password}))["data"]["login"]
    return payload["errors"][0]["code"] if payload["errors"] else "OK"


async def test_a_stranger_guessing_cannot_lock_the_owner_out(app, client, services):
    _, _, email = await register(client)
    with override_settings(
        services,
        login_failures_per_address_and_account=3,
        login_failures_per_account=4,
        login_slowdown_ms=400,
    ):
        async with from_address(app, fresh_address()) as stranger:
            codes = [await login_code(stranger, email, f"guess {n} guess") for n in range(6)]
            assert codes == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED"] * 3
            # even the right password is refused from the guessing address
            assert await login_code(stranger, email, PASSWORD) == "RATE_LIMITED"
        async with from_address(app, fresh_address()) as second_stranger:
            assert await login_code(second_stranger, email, "yet another guess") == "INVALID_CREDENTIALS"
        async with from_address(app, fresh_address()) as owner:
            started = time.monotonic()
            assert await login_code(owner, email, PASSWORD) == "OK"
            assert time.monotonic() - started >= 0.4  # the targeted account is slowed, not refused


async def test_a_correct_password_clears_the_addresses_failures(app, services):
    async with from_address(app, fresh_address()) as owner:
        _, _, email = await register(owner)
        with override_settings(services, login_failures_per_address_and_account=3):
            for _ in range(2):
                assert await login_code(owner, email, "typo typo typo") == "INVALID_CREDENTIALS"
            assert await login_code(owner, email, PASSWORD) == "OK"
            for _ in range(3):
                assert await login_code(owner, email, "typo typo typo") == "INVALID_CREDENTIALS"
            assert await login_code(owner, email, PASSWORD) == "RATE_LIMITED"


async def test_one_address_spraying_many_accounts_is_refused(app, services):
    async with from_address(app, fresh_address()) as sprayer:
        with override_settings(services, rate_limit_logins_per_minute=2):  # 6 attempts a minute
            codes = [await login_code(sprayer, unique_email(), "password1234") for _ in range(8)]
    assert codes == ["INVALID_CREDENTIALS"] * 6 + ["RATE_LIMITED"] * 2


async def test_wrong_current_passwords_count_as_guesses(app, services):
    async with from_address(app, fresh_address()) as thief:
        token, _, _ = await register(thief)
        change = """mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "a new long one!") {
          errors { code } } }"""
        with override_settings(services, login_failures_per_address_and_account=2):
            codes = [
                (await gql(thief, change, {"c": f"guess {n}!"}, token))["data"]["changePassword"]["errors"][
                    0
                ]["code"]
                for n in range(3)
            ]
    assert codes == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]


async def test_login_limits_fail_closed_without_redis(app, client, services):
    """DESIGN.md: with Redis down, sign-in refuses (UNAVAILABLE) rather than allow unlimited guessing."""
    import redis.asyncio as redis_asyncio

    from core.ratelimit import RateLimiter
    from tests.servers import free_port

    _, _, email = await register(client)
    dead = redis_asyncio.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    original = services.limiter
    services.limiter = RateLimiter(dead, namespace=services.settings.redis_namespace)
    try:
        assert await login_code(client, email, PASSWORD) == "UNAVAILABLE"
    finally:
        services.limiter = original
        await dead.aclose()
    assert await login_code(client, email, PASSWORD) == "OK"
