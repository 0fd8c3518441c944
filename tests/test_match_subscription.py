"""matchRequestReceived reaches a subscriber on another app process (Redis pub/sub)."""

from __future__ import annotations

import asyncio

import httpx
from httpx_ws import aconnect_ws

from tests.helpers import gql, register
from tests.servers import running_servers

SEND = "mutation($id: ID!, $m: String) { sendMatchRequest(userId: $id, message: $m) { errors { code } } }"


async def test_subscription_across_two_processes(settings, app):
    with running_servers(settings, 2) as (first, second):
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            sender, sender_id, _ = await register(one, name="发送者")
            receiver, _, _ = await register(one, name="接收者")
            receiver_id = (await gql(one, "{ me { id } }", token=receiver))["data"]["me"]["id"]
            async with aconnect_ws(f"{second}/graphql", two, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {receiver}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                await ws.send_json(
                    {
                        "id": "s1",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription { matchRequestReceived { message sender { id displayName } } }"
                        },
                    }
                )
                await asyncio.sleep(0.5)
                sent = await gql(one, SEND, {"id": receiver_id, "m": "周五吃烤鱼？"}, sender)
                assert sent["data"]["sendMatchRequest"]["errors"] == []
                message = await asyncio.wait_for(ws.receive_json(), 15)
                assert message["type"] == "next", message
                assert message["payload"]["data"]["matchRequestReceived"] == {
                    "message": "周五吃烤鱼？",
                    "sender": {"id": sender_id, "displayName": "发送者"},
                }


async def test_subscription_rejects_a_bad_token(settings, app):
    with running_servers(settings, 1) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            async with aconnect_ws(f"{url}/graphql", http, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": "Bearer tm1.bad.token"}}
                )
                try:
                    message = await asyncio.wait_for(ws.receive_json(), 10)
                    raise AssertionError(f"expected the connection to close, got {message}")
                except Exception as error:  # noqa: BLE001 - httpx_ws raises on close
                    assert "4403" in repr(error) or "closed" in repr(error).lower(), repr(error)


async def test_meal_updates_across_two_processes(settings, app):
    """A join on one process reaches a sharedMealUpdated subscriber on another."""
    from datetime import UTC, datetime, timedelta

    from tests.helpers import open_restaurant, random_spot

    with running_servers(settings, 2) as (first, second):
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            host, _, _ = await register(one, name="组局人")
            guest, _, _ = await register(one, name="客人")
            _, restaurant = await open_restaurant(one, *random_spot())
            starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
            created = await gql(
                one,
                "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { code } } }",
                {"i": {"restaurantId": restaurant, "title": "跨进程局", "startsAt": starts, "capacity": 4}},
                host,
            )
            meal = created["data"]["createSharedMeal"]["meal"]["id"]
            async with aconnect_ws(f"{second}/graphql", two, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {host}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                query = "subscription($id: ID!) { sharedMealUpdated(mealId: $id) { seatsTaken } }"
                await ws.send_json(
                    {"id": "m1", "type": "subscribe", "payload": {"query": query, "variables": {"id": meal}}}
                )
                await asyncio.sleep(0.5)
                joined = await gql(
                    one, "mutation($id: ID!) { joinSharedMeal(mealId: $id) { status } }", {"id": meal}, guest
                )
                assert joined["data"]["joinSharedMeal"]["status"] == "JOINED"
                message = await asyncio.wait_for(ws.receive_json(), 15)
                assert message["payload"]["data"]["sharedMealUpdated"] == {"seatsTaken": 2}, message
