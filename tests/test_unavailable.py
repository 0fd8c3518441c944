"""A store that cannot be reached answers 503 with Retry-After (or UNAVAILABLE), never a 500.

Embedded backend: another process holds SQLite's write lock past the busy timeout (a backup or a
migration would). The services backend kills and restarts real PostgreSQL and Redis instead:
tests/test_restarts.py.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from core.payments import webhook_body
from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.test_deals import a_deal, claim

pytestmark = pytest.mark.skipif(BACKEND != "embedded", reason="SQLite's lock; services: test_restarts.py")

BIO = 'mutation { updateProfile(input: {bio: "锁住了"}) { errors { code } } }'


async def test_a_locked_database_answers_503_with_retry_after_then_recovers(client, services, settings):
    diner, _, _ = await register(client)
    _, _, deal = await a_deal(client, priceCents=9900)
    intent = (await claim(client, (await register(client))[0], deal))["claim"]["payment"]["intentId"]
    body = webhook_body(intent)
    signed = {"X-Signature": services.payments.sign(body)}
    blocker = sqlite3.connect(settings.database_url.removeprefix("sqlite://"), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock; readers still read (WAL)
    try:
        graphql, webhook = await asyncio.gather(
            client.post("/graphql", json={"query": BIO}, headers={"Authorization": f"Bearer {diner}"}),
            client.post("/payments/webhook", content=body, headers=signed),
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    for response in (graphql, webhook):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "2"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
        assert "INTERNAL_SERVER_ERROR" not in response.text
    # The same requests succeed once the lock is gone: nothing to reconnect by hand.
    assert (await gql(client, BIO, token=diner))["data"]["updateProfile"]["errors"] == []
    assert (await client.post("/payments/webhook", content=body, headers=signed)).status_code == 200
