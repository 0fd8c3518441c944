"""Query limits, production hardening, and what happens when Redis is down."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import redis.asyncio as redis_asyncio

from tests.conftest import override_settings
from tests.helpers import gql, open_restaurant, random_spot, register

EXPENSIVE = """
{ me { followers(first: 100) { edges { node { followers(first: 100) { edges { node {
  followers(first: 100) { edges { node { id displayName } } } } } } } } } } }
"""
FEED = "{ feed(first: 20) { edges { node { kind review { id body author { id } dish { id name } photos { id } } } } } }"


async def test_query_cost_is_limited_before_execution(client):
    token, _, _ = await register(client)
    body = await gql(client, EXPENSIVE, token=token, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert body["errors"][0]["extensions"]["cost"] > body["errors"][0]["extensions"]["limit"]
    assert body.get("data") is None
    normal = await gql(client, FEED, token=token)
    assert "errors" not in normal


async def test_variables_count_toward_cost(client):
    token, _, _ = await register(client)
    query = "query($n: Int) { me { followers(first: $n) { edges { node { following(first: $n) { edges { node { followers(first: $n) { edges { node { id } } } } } } } } } } }"
    small = await gql(client, query, {"n": 5}, token)
    assert "errors" not in small
    big = await gql(client, query, {"n": 100}, token, expect_errors=True)
    assert big["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_batched_requests_and_huge_documents_are_refused(client):
    batch = await client.post("/graphql", json=[{"query": "{ me { id } }"}, {"query": "{ me { id } }"}])
    assert batch.status_code == 400
    huge = "{ " + " ".join(f"f{i}: cuisineTags {{ tag }}" for i in range(2000)) + " }"
    body = await gql(client, huge, expect_errors=True)
    assert body["errors"] and body.get("data") is None


async def test_production_hides_introspection_and_graphiql(settings, app):
    """A real `serve` process with ENV=production (its own process: Tortoise is process-global)."""
    from tests.servers import running_servers

    with running_servers(settings, 1, extra_env={"ENV": "production"}, shared_redis=False) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            body = (await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
            assert body["errors"] and "introspection" in body["errors"][0]["message"].lower()
            ide = await http.get("/graphql", headers={"Accept": "text/html"})
            assert "graphiql" not in ide.text.lower()
            ok = (await http.post("/graphql", json={"query": "{ cuisineTags { tag } }"})).json()
            assert ok["data"]["cuisineTags"]


async def test_registration_is_rate_limited_per_ip_and_forwarded_for_is_not_believed(app, services):
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    transport = httpx.ASGITransport(app=app, client=(address, 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        with override_settings(services, rate_limit_registrations_per_hour=2):
            codes = []
            for i in range(4):
                response = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }",
                        "variables": {
                            "i": {
                                "email": f"r-{uuid.uuid4().hex[:8]}@example.com",
                                "password": "correct horse battery",
                                "displayName": "限",
                            }
                        },
                    },
                    # A spoofed header must not buy a fresh budget.
                    headers={"X-Forwarded-For": f"192.0.2.{i}"},
                )
                codes.append([e["code"] for e in response.json()["data"]["register"]["errors"]])
    assert codes == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]


async def test_writes_are_rate_limited_per_user(client, services):
    token, _, _ = await register(client)
    with override_settings(services, rate_limit_writes_per_minute=2):
        codes = []
        for i in range(3):
            body = await gql(
                client,
                "mutation($b: String) { updateProfile(input: {bio: $b}) { errors { code } } }",
                {"b": str(i)},
                token,
            )
            codes.append([e["code"] for e in body["data"]["updateProfile"]["errors"]])
    assert codes[2] == ["RATE_LIMITED"]


async def test_when_redis_is_down_reads_work_writes_fail_open_logins_and_claims_fail_closed(client, services):
    token, _, email = await register(client)
    owner, restaurant = await open_restaurant(client, *random_spot())
    deal = await gql(
        client,
        "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } } }",
        {
            "i": {
                "restaurantId": restaurant,
                "title": "券",
                "priceCents": 0,
                "originalPriceCents": 100,
                "quantity": 5,
                "startsAt": datetime.now(UTC).isoformat(),
                "endsAt": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            }
        },
        owner,
    )
    deal_id = deal["data"]["createDeal"]["deal"]["id"]
    # Redis down for the limiter and for everything else that shares it (the claim gate counts
    # the write budget in its own script, so a claim would still pass with only one of them down)
    working = services.limiter.redis, services.redis
    down = redis_asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    services.limiter.redis = services.redis = down
    failures_before = services.limiter.failures
    try:
        read = await gql(client, "{ me { id } cuisineTags { tag } }", token=token)
        assert read["data"]["me"]["id"]
        write = await gql(
            client, 'mutation { updateProfile(input: {bio: "离线也能写"}) { errors { code } } }', token=token
        )
        assert write["data"]["updateProfile"]["errors"] == []
        login = await gql(
            client,
            'mutation($e: String!) { login(email: $e, password: "correct horse battery") { token errors { code } } }',
            {"e": email},
        )
        assert login["data"]["login"]["errors"][0]["code"] == "UNAVAILABLE"
        claim = await gql(
            client,
            'mutation($d: ID!) { claimDeal(dealId: $d, idempotencyKey: "k") { errors { code } } }',
            {"d": deal_id},
            token,
        )
        assert claim["data"]["claimDeal"]["errors"][0]["code"] == "UNAVAILABLE"
    finally:
        await down.aclose()
        services.limiter.redis, services.redis = working
    assert services.limiter.failures > failures_before


async def test_nul_characters_are_refused_before_anything_runs(client):
    token, _, _ = await register(client)
    literal = await gql(
        client,
        'mutation { updateProfile(input: {bio: "a\\u0000b"}) { errors { code } } }',
        token=token,
        expect_errors=True,
    )
    assert literal["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    variable = await gql(
        client,
        "mutation($b: String) { updateProfile(input: {bio: $b}) { errors { code } } }",
        {"b": "x\x00"},
        token,
        expect_errors=True,
    )
    assert variable["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    me = await gql(client, "{ me { bio } }", token=token)
    assert me["data"]["me"]["bio"] == ""
