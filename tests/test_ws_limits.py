"""Hostile clients over graphql-transport-ws get what HTTP gives them.

A `subscribe` whose document HTTP refuses (too large, too many tokens or aliases, too deep, too
costly, bad syntax, unknown fields) is answered with an `error` message carrying HTTP's very
errors (message and `extensions.code`), not a bare `complete`, a closed socket or a running
subscription; the socket carries on. A user's socket past MAX_SOCKETS_PER_USER is closed with
4429 in answer to `connection_init` and never acknowledged, even when they all connect at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws

from schema.live import MAX_SOCKETS_PER_USER, TOO_MANY_SOCKETS
from tests.helpers import gql, register
from tests.test_match_subscription import SEND
from tests.test_sessions import LIVE, in_process, live_socket, still_open

ME = "{ me { id } }"


def aliases(count: int) -> str:
    return (
        "subscription { matchRequestReceived { " + " ".join(f"a{i}: message" for i in range(count)) + " } }"
    )


HOSTILE = {
    # 2000 aliases: over MAX_DOCUMENT_BYTES before it is even parsed
    "alias bomb": (aliases(2000), "GRAPHQL_PARSE_FAILED"),
    # under the byte limit, over MAX_TOKENS: the parser gives up
    "token bomb": (aliases(300), "GRAPHQL_PARSE_FAILED"),
    "aliases": (aliases(20), "GRAPHQL_VALIDATION_FAILED"),
    "depth": (
        "subscription { matchRequestReceived { sender { "
        + "followers { edges { node { " * 3
        + "id"
        + " } } }" * 3
        + " } } }",
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "cost": (
        "subscription { matchRequestReceived { sender { followers(first: 100) { edges { node {"
        " followers(first: 100) { edges { node { id } } } } } } } } }",
        "QUERY_TOO_COSTLY",
    ),
    "syntax": ("subscription { matchRequestReceived {", "GRAPHQL_PARSE_FAILED"),
    "unknown field": ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
}


async def init(ws: AsyncWebSocketSession, token: str) -> dict[str, Any] | int:
    """Send connection_init: the server's first message, or the close code if it closes instead."""
    await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    try:
        return await asyncio.wait_for(ws.receive_json(), 10)
    except WebSocketDisconnect as closed:
        return closed.code


async def test_hostile_documents_get_http_s_errors_and_the_socket_carries_on(app, client):
    token, _, _ = await register(client, name="接收者")
    sender, _, _ = await register(client, name="发送者")
    receiver_id = (await gql(client, ME, token=token))["data"]["me"]["id"]
    async with (
        in_process(app) as http,
        aconnect_ws("/graphql", http, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        assert (await init(ws, token)) == {"type": "connection_ack", "payload": None}
        for name, (document, code) in HOSTILE.items():
            over_http = await client.post(
                "/graphql", json={"query": document}, headers={"authorization": f"Bearer {token}"}
            )
            errors = over_http.json()["errors"]
            assert errors[0]["extensions"]["code"] == code, (name, errors)
            await ws.send_json({"id": name, "type": "subscribe", "payload": {"query": document}})
            answer = await asyncio.wait_for(ws.receive_json(), 10)
            assert answer == {"id": name, "type": "error", "payload": errors}, name
        # Nothing else was queued for the refused ids (no `complete` after `error`), and a valid
        # subscription on the same socket runs: its event is the next message.
        await ws.send_json({"id": "live", "type": "subscribe", "payload": {"query": LIVE}})
        await asyncio.sleep(0.3)
        sent = await gql(client, SEND, {"id": receiver_id, "m": "周五吃烤鱼？"}, sender)
        assert sent["data"]["sendMatchRequest"]["errors"] == []
        event = await asyncio.wait_for(ws.receive_json(), 10)
        assert event == {
            "id": "live",
            "type": "next",
            "payload": {"data": {"matchRequestReceived": {"message": "周五吃烤鱼？"}}},
        }, event


async def test_the_socket_past_the_limit_is_refused_before_the_ack(app, client):
    token, _, _ = await register(client)
    async with in_process(app) as http, contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(live_socket(http, "", token)) for _ in range(MAX_SOCKETS_PER_USER)
        ]
        async with aconnect_ws("/graphql", http, subprotocols=["graphql-transport-ws"]) as extra:
            assert (await init(extra, token)) == TOO_MANY_SOCKETS  # a close, not connection_ack
        for ws in sockets:
            assert await still_open(ws)


async def test_sockets_connecting_at_once_are_refused_before_the_ack_too(app, client):
    """connection_inits racing on more sockets than the limit: as many acks as the limit, and
    each other socket closed with 4429 as its first answer."""
    token, _, _ = await register(client)
    async with in_process(app) as http, contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(
                aconnect_ws("/graphql", http, subprotocols=["graphql-transport-ws"])
            )
            for _ in range(MAX_SOCKETS_PER_USER + 2)
        ]
        answers = await asyncio.gather(*(init(ws, token) for ws in sockets))
        acked = [a for a in answers if a == {"type": "connection_ack", "payload": None}]
        assert len(acked) == MAX_SOCKETS_PER_USER, answers
        assert sorted(a for a in answers if a not in acked) == [TOO_MANY_SOCKETS] * 2, answers


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": 123}, "The GraphQL operation's `query` must be a string or null, if provided."),
        (
            {"query": ME, "variables": [1]},
            "The GraphQL operation's `variables` must be an object or null, if provided.",
        ),
    ],
)
async def test_malformed_subscribe_payloads_get_http_s_bad_request(app, client, payload, message):
    token, user_id, _ = await register(client)
    async with (
        in_process(app) as http,
        aconnect_ws("/graphql", http, subprotocols=["graphql-transport-ws"]) as ws,
    ):
        assert (await init(ws, token))["type"] == "connection_ack"  # type: ignore[index]
        await ws.send_json({"id": "bad", "type": "subscribe", "payload": payload})
        refused = await asyncio.wait_for(ws.receive_json(), 10)
        assert refused == {
            "id": "bad",
            "type": "error",
            "payload": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}],
        }
        await ws.send_json({"id": "me", "type": "subscribe", "payload": {"query": ME}})
        ran = await asyncio.wait_for(ws.receive_json(), 10)
        assert ran == {"id": "me", "type": "next", "payload": {"data": {"me": {"id": user_id}}}}
