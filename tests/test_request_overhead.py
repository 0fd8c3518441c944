"""What every request pays whatever its fields (issue 18, session mix): one schema extension,
a variable-free document costed once, a known token's signature checked once; and the mix's
profile edit in one statement."""

from __future__ import annotations

import base64
import random
import time
from types import SimpleNamespace

from resolvers.accounts import viewer_cache
from schema import cost
from schema.pipeline import OperationPipeline
from tests.helpers import gql, register
from tests.test_claim_gate import POSTGRES, besides_authentication
from tests.wire_sql import count_wire

EXPENSIVE = (
    "{ me { followers(first: 100) { edges { node { following(first: 100) { edges { node "
    "{ followers(first: 100) { edges { node { id } } } } } } } } } } }"
)


def counting_costs(monkeypatch) -> list[int]:  # noqa: ANN001
    calls: list[int] = []
    real = cost.CostCalculator.operation

    def operation(self, op):  # noqa: ANN001, ANN202
        calls.append(1)
        return real(self, op)

    monkeypatch.setattr(cost.CostCalculator, "operation", operation)
    return calls


async def test_one_extension_runs_every_step(app):
    schema = app.state.schema
    assert len(schema.extensions) == 1
    assert isinstance(schema.extensions[0](), OperationPipeline)


async def test_a_document_without_variables_is_costed_once(client, monkeypatch):
    token, _, _ = await register(client)
    calls = counting_costs(monkeypatch)
    document = "{ me { id displayName } } # costed once"
    for _ in range(3):
        assert (await gql(client, document, token=token))["data"]["me"]["displayName"]
    assert len(calls) == 1
    # the cached cost is still compared with the limit, each time
    for _ in range(2):
        body = await gql(client, EXPENSIVE, token=token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert body.get("data") is None
    assert len(calls) == 2


async def test_a_document_with_variables_is_costed_each_time(client, monkeypatch):
    token, _, _ = await register(client)
    calls = counting_costs(monkeypatch)
    document = "query($n: Int) { me { followers(first: $n) { edges { node { id } } } } }"
    for n in (1, 2, 3):
        assert "errors" not in await gql(client, document, {"n": n}, token)
    assert len(calls) == 3


async def test_a_known_tokens_signature_is_checked_once(client, monkeypatch):
    token, _, _ = await register(client)
    checked: list[str] = []
    real = viewer_cache.read_token

    def read_token(secret: str, text: str):  # noqa: ANN202
        checked.append(text)
        return real(secret, text)

    monkeypatch.setattr(viewer_cache, "read_token", read_token)
    viewer_cache._verified.clear()
    for _ in range(3):
        assert (await gql(client, "{ me { id } }", token=token))["data"]["me"]
    assert checked == [token]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for _ in range(2):
        assert (await gql(client, "{ me { id } }", token=forged))["data"]["me"] is None
    assert checked == [token, forged, forged]  # refused tokens are not kept


async def test_a_kept_token_still_expires(client, monkeypatch):
    token, _, _ = await register(client)
    assert (await gql(client, "{ me { id } }", token=token))["data"]["me"]
    later = time.time() + 400 * 86_400  # past any token lifetime
    clock = SimpleNamespace(time=lambda: later, monotonic=time.monotonic)
    monkeypatch.setattr(viewer_cache, "time", clock)
    assert (await gql(client, "{ me { id } }", token=token))["data"]["me"] is None


PROFILE = "mutation($p: ProfileInput!) { updateProfile(input: $p) { errors { code } } }"
ME = "{ me { bio discoverable } }"


async def test_a_profile_edit_is_one_statement(client):
    token, _, _ = await register(client)
    await gql(client, "{ me { id } }", token=token)  # the viewer is known (with a shared Redis)
    with count_wire(POSTGRES) as wire:
        body = await gql(client, PROFILE, {"p": {"bio": "周末找饭搭子"}}, token)
    assert body["data"]["updateProfile"]["errors"] == []
    work = besides_authentication(wire.statements)
    assert len(work) == 1 and work[0].lstrip().upper().startswith("UPDATE"), wire.statements
    me = (await gql(client, ME, token=token))["data"]["me"]
    assert me == {"bio": "周末找饭搭子", "discoverable": me["discoverable"]}


async def test_discoverable_still_moves_the_indexed_point(client, services):
    from resolvers.foodies.foodies import DINER_KIND

    token, user_id, _ = await register(client)
    lat, lng = 47.0 + random.random(), 88.0 + random.random()  # away from other tests' diners
    located = "mutation($a: Float!, $b: Float!) { updateLocation(lat: $a, lng: $b) { errors { code } } }"
    moved = await gql(client, located, {"a": lat, "b": lng}, token)
    assert moved["data"]["updateLocation"]["errors"] == []
    pk = int(base64.b64decode(user_id).decode().split(":")[1])

    async def indexed() -> bool:
        return pk in [hit.object_id for hit in await services.geo.within(DINER_KIND, lat, lng, 20, limit=500)]

    assert await indexed()
    hidden = await gql(client, PROFILE, {"p": {"discoverable": False}}, token)
    assert hidden["data"]["updateProfile"]["errors"] == []
    assert not await indexed()
    shown = await gql(client, PROFILE, {"p": {"discoverable": True, "bio": "又来了"}}, token)
    assert shown["data"]["updateProfile"]["errors"] == []
    assert await indexed()
