"""PostgreSQL and Redis restart under steady load: 503/UNAVAILABLE with Retry-After, never a 500,
the app reconnects by itself, and no claim is lost or counted twice.

Runs on the services backend against PRIVATE instances (tests/private_services.py): the shared
PostgreSQL and Redis serve other runs and must never be restarted.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws

from core import payments
from schema.live import TRY_AGAIN_LATER
from settings import Settings
from tests.conftest import BACKEND
from tests.helpers import open_restaurant, random_spot, register
from tests.private_services import private_postgres, private_redis
from tests.servers import ROOT, running_servers, server_env

pytestmark = pytest.mark.skipif(BACKEND != "services", reason="restarts real PostgreSQL and Redis")

CLAIM = """mutation($d: ID!, $k: String!) {
  claimDeal(dealId: $d, idempotencyKey: $k) { claim { id } errors { code } }
}"""
READ = "{ me { id } cuisineTags { tag } }"
DINERS = 6
PER_USER = 100
HIGH_LIMITS = {
    "RATE_LIMIT_WRITES_PER_MINUTE": "100000",
    "RATE_LIMIT_LOGINS_PER_MINUTE": "100000",
    "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "100000",
}


@dataclass
class Answer:
    at: float
    kind: str
    status: int
    retry_after: str | None
    body: str
    ok: bool


@dataclass
class Load:
    """Diners claiming and reading in a loop; every answer is recorded."""

    http: httpx.AsyncClient
    deal: str
    answers: list[Answer] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    running: bool = True

    async def call(self, kind: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any] | None:
        try:
            response = await self.http.post(
                "/graphql", json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as error:  # the app itself must stay up: record it as a failure
            self.answers.append(Answer(time.monotonic(), kind, 0, None, repr(error), False))
            return None
        body = response.json() if response.headers.get("content-type", "").endswith("json") else None
        data = (body or {}).get("data") or {}
        payload_codes = [e["code"] for e in ((data.get("claimDeal") or {}).get("errors") or [])]
        ok = response.status_code == 200 and not (body or {}).get("errors") and "UNAVAILABLE" not in payload_codes
        self.answers.append(
            Answer(time.monotonic(), kind, response.status_code, response.headers.get("retry-after"),
                   response.text, ok)
        )
        return body if ok else None

    async def diner(self, token: str) -> None:
        key: str | None = None
        while self.running or key is not None:  # a pending claim is retried to its end, like a client
            key = key or uuid.uuid4().hex
            body = await self.call("claim", CLAIM, {"d": self.deal, "k": key}, token)
            if body is not None:
                payload = body["data"]["claimDeal"]
                (self.claimed if payload["claim"] else self.refused).add(key)
                key = None
            if self.running:
                await self.call("read", READ, {}, token)
            await asyncio.sleep(0.02 if body is not None else 0.1)

    def failures_since(self, since: float) -> list[Answer]:
        return [a for a in self.answers if a.at >= since and not a.ok]

    async def recovered_after(self, since: float, timeout: float) -> float:
        """Seconds from `since` until both claims and reads succeed again."""
        deadline = since + timeout
        while time.monotonic() < deadline:
            kinds = {a.kind for a in self.answers if a.at >= since and a.ok}
            if {"claim", "read"} <= kinds:
                first_ok = max(min(a.at for a in self.answers if a.at >= since and a.ok and a.kind == k)
                               for k in ("claim", "read"))
                return first_ok - since
            await asyncio.sleep(0.05)
        raise AssertionError(f"no recovery {timeout} s after restart: {self.failures_since(since)[-3:]}")


async def prepare_database(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    finally:
        await conn.close()


async def stored_claims(url: str) -> tuple[set[str], int, int]:
    """(idempotency keys of stored claims, deals.claimed_count, sum of per-user held)."""
    conn = await asyncpg.connect(url)
    try:
        keys = {r["idempotency_key"] for r in await conn.fetch("SELECT idempotency_key FROM claims")}
        claimed_count = await conn.fetchval("SELECT claimed_count FROM deals")
        held = await conn.fetchval("SELECT coalesce(sum(held), 0) FROM user_deal_counts")
        return keys, claimed_count, held
    finally:
        await conn.close()


async def outage(
    load: Load, kill: Any, start: Any, while_down: Any = None, down_for: float = 1.5
) -> tuple[list[Answer], float]:
    """Kill a service under load, bring it back; return the failed answers and recovery time."""
    loop = asyncio.get_running_loop()
    killed = time.monotonic()
    await loop.run_in_executor(None, kill)
    if while_down is not None:
        await while_down()
    await asyncio.sleep(max(0.0, killed + down_for - time.monotonic()))
    await loop.run_in_executor(None, start)
    back = time.monotonic()
    recovery = await load.recovered_after(back, timeout=10)
    await asyncio.sleep(1.5)  # steady again: everything from here on must succeed
    steady = time.monotonic() - 1.0
    assert not load.failures_since(steady), load.failures_since(steady)[:3]
    return load.failures_since(killed), recovery


async def test_postgres_and_redis_restarts_under_load_answer_503_and_recover(settings):
    with private_postgres() as pg, private_redis() as rd:
        await prepare_database(pg.url)
        local = replace(settings, database_url=pg.url, redis_url=rd.url)
        env = {**server_env(local, rd.url), **HIGH_LIMITS}
        subprocess.run([sys.executable, "app.py", "migrate"], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=120)
        with running_servers(local, 1, extra_env=HIGH_LIMITS, shared_redis=False) as (url,):
            async with httpx.AsyncClient(base_url=url, timeout=15) as http:
                owner, restaurant = await open_restaurant(http, *random_spot())
                tokens = [(await register(http))[0] for _ in range(DINERS)]
                deal = await create_deal(http, owner, restaurant)
                load = Load(http, deal)
                diners = [asyncio.create_task(load.diner(t)) for t in tokens]
                try:
                    await asyncio.sleep(1.0)
                    # Long enough for a claim's two Redis asks (the gate, then the limiter it
                    # falls back to), each retried for up to ~1 s, to both meet the outage.
                    redis_failures, redis_recovery = await outage(load, rd.kill, rd.start, down_for=3.5)
                    newcomer = (await register(http))[0]  # signed up, never seen by the app since

                    async def while_pg_down() -> None:
                        await other_routes_while_down(http, local)
                        await socket_while_down(http, url, newcomer)

                    pg_failures, pg_recovery = await outage(load, pg.kill, pg.start, while_pg_down)
                    load.running = False
                    await asyncio.wait_for(asyncio.gather(*diners), 30)
                finally:
                    for task in diners:
                        task.cancel()

        bad = [a for a in load.answers if a.status == 500 or "INTERNAL_SERVER_ERROR" in a.body or a.status == 0]
        assert not bad, bad[:3]
        for failure in load.answers:
            if not failure.ok:
                assert failure.status == 503 or '"code":"UNAVAILABLE"' in failure.body, failure
                assert failure.retry_after and int(failure.retry_after) > 0, failure
        # Each outage was felt (else this test proves nothing) and ended within a few seconds.
        assert redis_failures and pg_failures
        assert any(a.kind == "claim" for a in redis_failures)  # claims fail closed without Redis
        assert redis_recovery < 5 and pg_recovery < 5, (redis_recovery, pg_recovery)
        keys, claimed_count, held = await stored_claims(pg.url)
        assert keys == load.claimed, (len(keys), len(load.claimed))
        assert claimed_count == held == len(keys) <= DINERS * PER_USER
        print(
            f"\nrequests {len(load.answers)}; Redis outage: {len(redis_failures)} refused, back in "
            f"{redis_recovery:.2f} s; PostgreSQL outage: {len(pg_failures)} refused, back in "
            f"{pg_recovery:.2f} s; claims stored {len(keys)}"
        )


async def socket_while_down(http: httpx.AsyncClient, base: str, token: str) -> None:
    """A subscription socket whose viewer must be read while PostgreSQL is down is closed with
    1013 (Try Again Later), as HTTP answers 503: not left hanging, not an internal error."""
    async with aconnect_ws(f"{base}/graphql", http, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        try:
            message = await asyncio.wait_for(ws.receive_json(), 8)
        except WebSocketDisconnect as closed:
            assert closed.code == TRY_AGAIN_LATER, (closed.code, closed.reason)
            return
        raise AssertionError(f"socket not closed while the store is down: {message}")


async def other_routes_while_down(http: httpx.AsyncClient, settings: Settings) -> None:
    """Routes outside GraphQL: the payment webhook answers 503 (the provider retries it later),
    readiness says not ready, liveness stays up (restarting the app would not help)."""
    body = payments.webhook_body("pi_any")
    signature = payments.TestPaymentProvider(secret=f"{settings.secret_key}:payments").sign(body)
    webhook = await http.post("/payments/webhook", content=body, headers={"X-Signature": signature})
    assert webhook.status_code == 503 and webhook.headers["retry-after"], webhook.text
    assert (await http.get("/readyz")).status_code == 503
    assert (await http.get("/healthz")).status_code == 200


async def create_deal(http: httpx.AsyncClient, owner: str, restaurant: str) -> str:
    response = await http.post(
        "/graphql",
        json={
            "query": "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } errors { code } } }",
            "variables": {
                "i": {
                    "restaurantId": restaurant,
                    "title": "重启券",
                    "priceCents": 0,
                    "originalPriceCents": 100,
                    "quantity": DINERS * PER_USER,
                    "perUserLimit": PER_USER,
                    "startsAt": datetime.now(UTC).isoformat(),
                    "endsAt": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
                }
            },
        },
        headers={"Authorization": f"Bearer {owner}"},
    )
    payload = response.json()["data"]["createDeal"]
    assert payload["errors"] == [], payload
    return payload["deal"]["id"]
