"""Round 12: the request layer under a hostile client, each case found against a real `serve`.

- a request id header of non-UTF-8 bytes was a 500 before anything ran;
- one WebSocket message could be 16 MiB (uvicorn's default): sixty unauthenticated sockets each
  sending a 15 MB connection_init took a worker past 1.1 GB, kept after they closed;
- per-address budgets (sign-ins, registrations) were bought afresh by a client that rotated the
  low bits of its IPv6 address, or that sent its own X-Forwarded-For line above the proxy's;
- automatic persisted queries stored any text, unauthenticated and without bound (20 000
  registrations grew an embedded worker by 256 MB, for 7 days).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws

from tests.servers import running_servers

REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }"


def _registration() -> dict:
    return {
        "query": REGISTER,
        "variables": {
            "i": {
                "email": f"r12-{uuid.uuid4().hex[:10]}@example.com",
                "password": "correct horse battery",
                "displayName": "小李",
            }
        },
    }


async def _register_code(app, client_address: str, headers: list[tuple[str, str]] | None = None) -> list[str]:
    transport = httpx.ASGITransport(app=app, client=(client_address, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json=_registration(), headers=headers or [])
    assert response.status_code == 200, response.text
    return [e["code"] for e in response.json()["data"]["register"]["errors"]]


# ------------------------------------------------------------------ request id header


@pytest.mark.parametrize(
    "given",
    [b"\xff\xfe", "订单123".encode(), b"a" * 65, b"abc def", b"--"],
    ids=["not utf-8", "chinese", "too long", "space", "dashes only"],
)
async def test_a_hostile_request_id_header_is_replaced_not_a_500(client, given):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=[(b"x-request-id", given)]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
    echoed = response.headers["x-request-id"]
    assert echoed.encode() != given and len(echoed) == 16 and echoed.isascii() and echoed.isalnum()


async def test_a_proxys_uuid_request_id_is_kept(client):
    given = str(uuid.uuid4())
    response = await client.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given


# ------------------------------------------------------------------ WebSocket message size


async def test_a_websocket_message_is_held_to_the_request_body_limit(settings, app):
    """A real `serve`: one message past MAX_REQUEST_BYTES closes the socket (1009, message too
    big) before it is decoded; an ordinary connection_init is still answered."""
    with running_servers(settings, 1, extra_env={"MAX_REQUEST_BYTES": "65536"}, shared_redis=False) as (url,):
        ws_url = url.replace("http://", "ws://") + "/graphql"
        async with httpx.AsyncClient(timeout=30) as http:
            async with aconnect_ws(
                ws_url, http, subprotocols=["graphql-transport-ws"], max_message_size_bytes=2**24
            ) as ws:
                await ws.send_text(json.dumps({"type": "connection_init", "payload": {"x": "饭" * 300_000}}))
                with pytest.raises(WebSocketDisconnect) as closed:
                    await asyncio.wait_for(ws.receive_text(), 15)
            assert closed.value.code == 1009
            async with aconnect_ws(ws_url, http, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_text(
                    json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer x"}})
                )
                with pytest.raises(WebSocketDisconnect) as refused:
                    await asyncio.wait_for(ws.receive_text(), 15)
            assert refused.value.code == 4403  # the usual answer to a bad token: the socket was read
            assert (await http.get(f"{url}/healthz")).status_code == 200
