"""After a match: the sender is told, both list their matches newest first, either unmatches."""

from __future__ import annotations

import asyncio

import httpx
from httpx_ws import aconnect_ws

from tests.helpers import gql, register
from tests.servers import running_servers

SEND = (
    'mutation($u: ID!) { sendMatchRequest(userId: $u, message: "约饭") { request { id } errors { code } } }'
)
ANSWER = (
    "mutation($r: ID!, $a: Boolean!) { respondMatchRequest(requestId: $r, accept: $a) "
    "{ request { status } errors { code } } }"
)
MATCHES = (
    "query($after: String) { matches(first: 1, after: $after) "
    "{ edges { node { user { id displayName } matchedAt request { status } } } pageInfo { hasNextPage endCursor } } }"
)
UNMATCH = "mutation($u: ID!) { unmatch(userId: $u) { user { id } errors { code } } }"
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(userId: $u) { errors { code } } }"
NOTES = "{ unreadNotificationCount notifications { edges { node { kind message } } } }"


async def match(client: httpx.AsyncClient, sender: str, recipient: str, recipient_id: str) -> None:
    """`sender` asks, `recipient` accepts."""
    request = (await gql(client, SEND, {"u": recipient_id}, sender))["data"]["sendMatchRequest"]["request"][
        "id"
    ]
    answered = await gql(client, ANSWER, {"r": request, "a": True}, recipient)
    assert answered["data"]["respondMatchRequest"]["errors"] == []


async def test_accepting_tells_the_sender_and_lists_the_match(client):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    carol, carol_id, _ = await register(client, name="卡罗")
    await match(client, alice, bob, bob_id)
    notes = (await gql(client, NOTES, token=alice))["data"]
    assert notes["unreadNotificationCount"] == 1
    assert notes["notifications"]["edges"][0]["node"]["kind"] == "match_accepted"
    assert "小波" in notes["notifications"]["edges"][0]["node"]["message"]
    # A declined request is no match; the sender is told the answer (and nothing more).
    request = (await gql(client, SEND, {"u": carol_id}, bob))["data"]["sendMatchRequest"]["request"]["id"]
    await gql(client, ANSWER, {"r": request, "a": False}, carol)
    told = (await gql(client, NOTES, token=bob))["data"]["notifications"]["edges"]
    assert [e["node"]["kind"] for e in told] == ["match_declined", "match_request"]
    # Carol asks Alice later: Alice's matches are Carol then Bob, one per page.
    await match(client, carol, alice, alice_id)
    first = (await gql(client, MATCHES, token=alice))["data"]["matches"]
    assert [e["node"]["user"]["displayName"] for e in first["edges"]] == ["卡罗"]
    assert first["pageInfo"]["hasNextPage"]
    second = (await gql(client, MATCHES, {"after": first["pageInfo"]["endCursor"]}, alice))["data"]["matches"]
    assert [e["node"]["user"]["id"] for e in second["edges"]] == [bob_id]
    assert not second["pageInfo"]["hasNextPage"]
    # Both sides see it.
    bobs = (await gql(client, MATCHES, token=bob))["data"]["matches"]["edges"]
    assert [e["node"]["user"]["id"] for e in bobs] == [alice_id]


async def test_unmatch_ends_the_match_for_both(client):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    await match(client, alice, bob, bob_id)
    done = (await gql(client, UNMATCH, {"u": alice_id}, bob))["data"]["unmatch"]
    assert done == {"user": {"id": alice_id}, "errors": []}
    for token in (alice, bob):
        assert (await gql(client, MATCHES, token=token))["data"]["matches"]["edges"] == []
    again = (await gql(client, UNMATCH, {"u": alice_id}, bob))["data"]["unmatch"]
    assert again["errors"] == [{"code": "NOT_FOUND"}]
    # They may match again.
    await match(client, bob, alice, alice_id)
    assert len((await gql(client, MATCHES, token=alice))["data"]["matches"]["edges"]) == 1


async def test_blocked_matches_are_not_listed(client):
    alice, _, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    await match(client, alice, bob, bob_id)
    await gql(client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": bob_id}, alice)
    for token in (alice, bob):
        assert (await gql(client, MATCHES, token=token))["data"]["matches"]["edges"] == []


async def test_answer_reaches_the_sender_on_another_process(settings, app):
    with running_servers(settings, 2) as (first, second):
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            sender, _, _ = await register(one, name="发送者")
            receiver, receiver_id, _ = await register(one, name="接收者")
            async with aconnect_ws(f"{second}/graphql", two, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {sender}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                query = "subscription { matchRequestAnswered { status recipient { displayName } } }"
                await ws.send_json({"id": "a1", "type": "subscribe", "payload": {"query": query}})
                await asyncio.sleep(0.5)
                await match(one, sender, receiver, receiver_id)
                message = await asyncio.wait_for(ws.receive_json(), 15)
                assert message["payload"]["data"]["matchRequestAnswered"] == {
                    "status": "ACCEPTED",
                    "recipient": {"displayName": "接收者"},
                }, message


async def test_a_block_ends_the_match_and_hides_its_traces_an_unblock_restores_nothing(client):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    carol, _, _ = await register(client, name="卡罗")
    await match(client, alice, bob, bob_id)
    # Carol's request to Alice waits; Alice blocks Carol, then Bob.
    pending = (await gql(client, SEND, {"u": alice_id}, carol))["data"]["sendMatchRequest"]["request"]["id"]
    carol_id = (await gql(client, "{ me { id } }", token=carol))["data"]["me"]["id"]
    for someone in (carol_id, bob_id):
        assert (await gql(client, BLOCK, {"u": someone}, alice))["data"]["blockUser"]["errors"] == []
    answered = await gql(client, ANSWER, {"r": pending, "a": True}, alice)
    assert answered["data"]["respondMatchRequest"]["errors"] == [{"code": "NOT_FOUND"}]
    notes = (await gql(client, NOTES, token=alice))["data"]
    assert all("卡罗" not in e["node"]["message"] for e in notes["notifications"]["edges"])
    assert notes["unreadNotificationCount"] == len(notes["notifications"]["edges"])  # what it shows
    for someone in (carol_id, bob_id):
        await gql(client, UNBLOCK, {"u": someone}, alice)
    assert (await gql(client, MATCHES, {}, alice))["data"]["matches"]["edges"] == []  # not restored
    again = await gql(client, SEND, {"u": bob_id}, alice)  # free to ask again
    assert again["data"]["sendMatchRequest"]["errors"] == []


WITHDRAW = "mutation($r: ID!) { withdrawMatchRequest(requestId: $r) { user { id } errors { field code } } }"
INCOMING = "{ matchRequests(direction: INCOMING) { edges { node { id status } } } }"


async def test_a_pending_request_can_be_withdrawn_once_and_asked_again(client):
    """The sender takes back an unanswered request: gone from the recipient's list and notices
    (badge back down), askable again; an answered one can't be, nor can anyone else's; of a
    withdrawal and an answer at the same moment exactly one happens."""
    alice, _, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    request = (await gql(client, SEND, {"u": bob_id}, alice))["data"]["sendMatchRequest"]["request"]["id"]
    assert (await gql(client, NOTES, token=bob))["data"]["unreadNotificationCount"] == 1
    assert (await gql(client, WITHDRAW, {"r": request}, bob))["data"]["withdrawMatchRequest"]["errors"] == [
        {"field": "requestId", "code": "NOT_FOUND"}
    ]
    taken_back = (await gql(client, WITHDRAW, {"r": request}, alice))["data"]["withdrawMatchRequest"]
    assert taken_back == {"user": {"id": bob_id}, "errors": []}
    seen = await gql(client, NOTES, token=bob)
    assert seen["data"]["unreadNotificationCount"] == 0
    assert [e for e in seen["data"]["notifications"]["edges"] if e["node"]["kind"] == "match_request"] == []
    assert (await gql(client, INCOMING, token=bob))["data"]["matchRequests"]["edges"] == []
    again = (await gql(client, WITHDRAW, {"r": request}, alice))["data"]["withdrawMatchRequest"]
    assert again["errors"] == [{"field": "requestId", "code": "NOT_FOUND"}]

    second = (await gql(client, SEND, {"u": bob_id}, alice))["data"]["sendMatchRequest"]["request"]["id"]
    withdraw, answer = await asyncio.gather(
        gql(client, WITHDRAW, {"r": second}, alice), gql(client, ANSWER, {"r": second, "a": True}, bob)
    )
    outcomes = [withdraw["data"]["withdrawMatchRequest"]["errors"], answer["data"]["respondMatchRequest"]["errors"]]
    assert sorted(outcomes, key=len) in (
        [[], [{"code": "ALREADY_ANSWERED"}]],
        [[], [{"field": "requestId", "code": "ALREADY_ANSWERED"}]],
        [[], [{"code": "NOT_FOUND"}]],  # withdrawn before the answer read the request
    ), outcomes
    if answer["data"]["respondMatchRequest"]["errors"] == []:  # answered: no longer withdrawable
        late = (await gql(client, WITHDRAW, {"r": second}, alice))["data"]["withdrawMatchRequest"]
        assert late["errors"] == [{"field": "requestId", "code": "ALREADY_ANSWERED"}]
