"""Nearby foodies, the social graph and match requests, through the endpoint."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from tortoise import connections

from tests.conftest import count_sql
from tests.helpers import gql, random_spot, register

PROFILE = "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { code } } }"
MOVE = "mutation($lat: Float!, $lng: Float!) { updateLocation(lat: $lat, lng: $lng) { errors { code } } }"
NEARBY = """
query($r: Float, $first: Int, $after: String) {
  nearbyFoodies(radiusKm: $r, first: $first, after: $after) {
    edges { cursor node { distanceKm score sharedCuisines user { id displayName followersCount isFollowedByMe } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
FOLLOW = "mutation($id: ID!) { follow(userId: $id) { following user { id followersCount } errors { code field } } }"
UNFOLLOW = "mutation($id: ID!) { unfollow(userId: $id) { following errors { code } } }"
BLOCK = "mutation($id: ID!) { blockUser(userId: $id) { blocked errors { code } } }"
UNBLOCK = "mutation($id: ID!) { unblockUser(userId: $id) { blocked errors { code } } }"
SEND = "mutation($id: ID!, $m: String) { sendMatchRequest(userId: $id, message: $m) { request { id status message sender { id } recipient { id } } errors { code field } } }"
RESPOND = "mutation($id: ID!, $a: Boolean!) { respondMatchRequest(requestId: $id, accept: $a) { request { status } errors { code } } }"
INBOX = "query($d: MatchDirection) { matchRequests(direction: $d) { edges { node { id message status sender { id } } } } }"


async def diner(client, lat, lng, cuisines=("sichuan",), name="食客", **profile):
    token, user_id, email = await register(client, name=name)
    body = await gql(client, PROFILE, {"i": {"cuisines": list(cuisines), **profile}}, token)
    assert body["data"]["updateProfile"]["errors"] == []
    await gql(client, MOVE, {"lat": lat, "lng": lng}, token)
    return token, user_id, email


def offset(lat, lng, north_km, east_km):
    import math

    return lat + north_km / 111.2, lng + east_km / (111.2 * math.cos(math.radians(lat)))


async def test_nearby_ranks_by_taste_and_excludes_the_right_people(client):
    lat, lng = random_spot()
    me, _, _ = await diner(client, lat, lng, cuisines=("sichuan", "hotpot"), spiceLevel=5, budgetLevel=2)
    twin, twin_id, _ = await diner(
        client, *offset(lat, lng, 2, 0), cuisines=("sichuan", "hotpot"), spiceLevel=5, budgetLevel=2
    )
    other, other_id, _ = await diner(
        client, *offset(lat, lng, 0, 2), cuisines=("french",), spiceLevel=0, budgetLevel=4
    )
    blocked, blocked_id, _ = await diner(client, *offset(lat, lng, 1, 1))
    hidden, hidden_id, _ = await diner(client, *offset(lat, lng, -1, 1))
    far, far_id, _ = await diner(client, *offset(lat, lng, 30, 0))
    await gql(
        client, BLOCK, {"id": (await gql(client, "{ me { id } }", token=me))["data"]["me"]["id"]}, blocked
    )
    await gql(client, PROFILE, {"i": {"discoverable": False}}, hidden)

    edges = (await gql(client, NEARBY, {"r": 10}, me))["data"]["nearbyFoodies"]["edges"]
    ids = [e["node"]["user"]["id"] for e in edges]
    assert ids == [twin_id, other_id]
    best = edges[0]["node"]
    assert best["sharedCuisines"] == ["hotpot", "sichuan"]
    assert best["score"] > edges[1]["node"]["score"]
    for edge in edges:
        assert edge["node"]["distanceKm"] == int(edge["node"]["distanceKm"]) >= 1
    assert far_id not in ids and hidden_id not in ids and blocked_id not in ids


async def test_suspended_users_vanish_from_matching(client):
    from models.accounts import User

    lat, lng = random_spot()
    me, _, _ = await diner(client, lat, lng)
    _, _, email = await diner(client, *offset(lat, lng, 1, 0))
    assert len((await gql(client, NEARBY, {"r": 5}, me))["data"]["nearbyFoodies"]["edges"]) == 1
    await User.filter(email=email).update(suspended_until=datetime.now(UTC) + timedelta(days=3))
    assert (await gql(client, NEARBY, {"r": 5}, me))["data"]["nearbyFoodies"]["edges"] == []


async def test_the_ranking_follows_tastes_activity_and_suspensions_changed_after_the_point(client):
    """The scoring columns are read beside the points on PostgreSQL (a card kept by triggers on
    users): tastes changed later, a suspension lifted, and a raw UPDATE all reach the ranking."""
    from models.accounts import User

    lat, lng = random_spot()
    me, _, _ = await diner(client, lat, lng, cuisines=("sichuan", "hotpot"), spiceLevel=5)
    first, first_id, first_email = await diner(
        client, *offset(lat, lng, 1, 0), cuisines=("sichuan", "hotpot")
    )
    second, second_id, _ = await diner(client, *offset(lat, lng, 0, 1), cuisines=("french",))

    async def ranked() -> list[str]:
        edges = (await gql(client, NEARBY, {"r": 5}, me))["data"]["nearbyFoodies"]["edges"]
        return [e["node"]["user"]["id"] for e in edges]

    assert await ranked() == [first_id, second_id]
    await gql(client, PROFILE, {"i": {"cuisines": ["french"]}}, first)
    await gql(client, PROFILE, {"i": {"cuisines": ["hotpot", "sichuan"], "spiceLevel": 5}}, second)
    assert await ranked() == [second_id, first_id]
    await User.filter(email=first_email).update(suspended_until=datetime.now(UTC) + timedelta(days=1))
    assert await ranked() == [second_id]
    await User.filter(email=first_email).update(suspended_until=datetime.now(UTC) - timedelta(seconds=1))
    await gql(client, PROFILE, {"i": {"discoverable": False}}, second)
    assert await ranked() == [first_id]
    await User.filter(email=first_email).update(cuisines=["hotpot", "sichuan"], spice_level=5)
    await gql(client, PROFILE, {"i": {"discoverable": True, "cuisines": ["french"]}}, second)
    await gql(client, MOVE, dict(zip(("lat", "lng"), offset(lat, lng, 0, 1), strict=True)), second)
    assert await ranked() == [first_id, second_id]  # a point moved (or put back) keeps its card
    if connections.get("default").capabilities.dialect == "postgres":  # every card is its row's
        _, stale = await connections.get("default").execute_query(
            "SELECT g.object_id FROM geo_points AS g JOIN users AS u ON u.id = g.object_id "
            "WHERE g.kind = 'diner' AND g.card IS DISTINCT FROM diner_card(u)"
        )
        assert stale == []


async def test_nearby_pages_never_repeat_and_count_sql(client):
    rng = random.Random(5)
    lat, lng = random_spot(rng)
    me, _, _ = await diner(client, lat, lng, cuisines=("sichuan", "bbq"))
    cuisines = ["sichuan", "bbq", "hotpot", "japanese", "cantonese"]
    for _ in range(45):
        await diner(
            client,
            *offset(lat, lng, rng.uniform(-3, 3), rng.uniform(-3, 3)),
            cuisines=rng.sample(cuisines, 2),
        )
    seen: list[str] = []
    after = None
    while True:
        with count_sql() as sql:
            page = (await gql(client, NEARBY, {"r": 8, "first": 20, "after": after}, me))["data"][
                "nearbyFoodies"
            ]
        seen += [e["node"]["user"]["id"] for e in page["edges"]]
        # auth user, blocks, spatial query (SQLite: up to 5 growing rings), candidates, the page's
        # users, follower counts, is-followed: a constant per page, whatever its size
        spatial = sum(1 for s in sql.statements if "geo_points" in s)
        once = sum(1 for s in sql.statements if "geo_kinds" in s)  # per process: this test alone reads it
        assert len(sql.statements) - spatial - once <= 7 and spatial <= 5, sql.statements
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 45 and len(set(seen)) == 45
    scores = []
    for cursor_page in [None]:
        body = await gql(client, NEARBY, {"r": 8, "first": 100, "after": cursor_page}, me)
        scores = [e["node"]["score"] for e in body["data"]["nearbyFoodies"]["edges"]]
    assert scores == sorted(scores, reverse=True)


async def test_nearby_pages_walk_the_whole_ranking_in_order(client):
    """Pages of 2 through the keyset cursor give exactly the one long page: the same people in
    the same order with the same score, distance and shared cuisines, nobody skipped or repeated
    (both backends rank by the quantised score, ties by id); totalCount on each page is what
    they hold. The suspended and the undiscoverable take no place in it."""
    from models.accounts import User

    rng = random.Random(11)
    lat, lng = random_spot(rng)
    me, _, _ = await diner(client, lat, lng, cuisines=("sichuan", "bbq"), spiceLevel=3, dietary=["halal"])
    for i in range(11):
        _, _, email = await diner(
            client,
            *offset(lat, lng, rng.uniform(-2, 2), rng.uniform(-2, 2)),
            cuisines=rng.sample(["sichuan", "bbq", "hotpot", "french"], rng.randint(1, 3)),
            spiceLevel=rng.choice([3, 3, 0]),
            dietary=rng.choice([["halal"], [], ["vegan", "halal"]]),
        )
        if i == 3:
            await User.filter(email=email).update(suspended_until=datetime.now(UTC) + timedelta(days=1))
    shy, _, _ = await diner(client, *offset(lat, lng, 0.5, 0.5))
    await gql(client, PROFILE, {"i": {"discoverable": False}}, shy)
    counted = NEARBY.replace("edges {", "totalCount edges {", 1)

    def shown(page):
        return [e["node"] for e in page["edges"]]

    whole = (await gql(client, counted, {"r": 8, "first": 100}, me))["data"]["nearbyFoodies"]
    assert whole["totalCount"] == 10 and len(whole["edges"]) == 10 and not whole["pageInfo"]["hasNextPage"]
    scores = [e["node"]["score"] for e in whole["edges"]]
    assert scores == sorted(scores, reverse=True)
    walked, after, totals = [], None, set()
    while True:
        page = (await gql(client, counted, {"r": 8, "first": 2, "after": after}, me))["data"]["nearbyFoodies"]
        walked += shown(page)
        totals.add(page["totalCount"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == shown(whole) and totals == {10}


async def test_nearby_needs_sign_in_and_sane_radius(client):
    body = await gql(client, NEARBY, {"r": 5}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    token, _, _ = await register(client)
    body = await gql(client, NEARBY, {"r": 500}, token, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await gql(client, NEARBY, {"r": 5}, token))["data"]["nearbyFoodies"][
        "edges"
    ] == []  # no location yet


async def test_follow_unfollow_counts_and_lists(client):
    a, a_id, _ = await register(client, name="甲")
    b, b_id, _ = await register(client, name="乙")
    followed = (await gql(client, FOLLOW, {"id": b_id}, a))["data"]["follow"]
    assert followed == {"following": True, "user": {"id": b_id, "followersCount": 1}, "errors": []}
    again = (await gql(client, FOLLOW, {"id": b_id}, a))["data"]["follow"]
    assert again["user"]["followersCount"] == 1  # idempotent
    q = "query($id: ID!) { node(id: $id) { ... on User { followersCount followingCount isFollowedByMe followers { edges { node { id displayName } } } } } }"
    b_seen_by_a = (await gql(client, q, {"id": b_id}, a))["data"]["node"]
    assert b_seen_by_a["isFollowedByMe"] is True
    assert b_seen_by_a["followers"]["edges"] == [{"node": {"id": a_id, "displayName": "甲"}}]
    a_self = (await gql(client, q, {"id": a_id}, a))["data"]["node"]
    assert a_self["followingCount"] == 1
    assert (await gql(client, FOLLOW, {"id": a_id}, a))["data"]["follow"]["errors"] == [
        {"code": "SELF_ACTION", "field": "userId"}
    ]
    assert (await gql(client, UNFOLLOW, {"id": b_id}, a))["data"]["unfollow"]["following"] is False
    assert (await gql(client, q, {"id": b_id}, a))["data"]["node"]["followersCount"] == 0


async def test_block_cuts_follows_and_requests_both_ways(client):
    a, a_id, _ = await register(client)
    b, b_id, _ = await register(client)
    await gql(client, FOLLOW, {"id": a_id}, b)
    assert (await gql(client, BLOCK, {"id": b_id}, a))["data"]["blockUser"] == {"blocked": True, "errors": []}
    q = "query($id: ID!) { node(id: $id) { ... on User { followersCount } } }"
    assert (await gql(client, q, {"id": a_id}, a))["data"]["node"]["followersCount"] == 0
    # The blocked one is answered as for an unknown account: a block never shows itself.
    assert (await gql(client, FOLLOW, {"id": a_id}, b))["data"]["follow"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await gql(client, SEND, {"id": a_id}, b))["data"]["sendMatchRequest"]["errors"][0][
        "code"
    ] == "NOT_FOUND"
    assert (await gql(client, SEND, {"id": b_id}, a))["data"]["sendMatchRequest"]["errors"][0][
        "code"
    ] == "BLOCKED"
    await gql(client, UNBLOCK, {"id": b_id}, a)
    assert (await gql(client, FOLLOW, {"id": a_id}, b))["data"]["follow"]["errors"] == []


async def test_match_request_flow(client):
    a, a_id, _ = await register(client)
    b, b_id, _ = await register(client)
    sent = (await gql(client, SEND, {"id": b_id, "m": "一起去吃火锅吗？"}, a))["data"]["sendMatchRequest"]
    assert sent["errors"] == [] and sent["request"]["status"] == "PENDING"
    request_id = sent["request"]["id"]
    dup = (await gql(client, SEND, {"id": b_id}, a))["data"]["sendMatchRequest"]["errors"]
    assert dup[0]["code"] == "DUPLICATE"
    inbox = (await gql(client, INBOX, {"d": "INCOMING"}, b))["data"]["matchRequests"]["edges"]
    assert [e["node"]["message"] for e in inbox] == ["一起去吃火锅吗？"]
    assert (await gql(client, RESPOND, {"id": request_id, "a": True}, a))["data"]["respondMatchRequest"][
        "errors"
    ][0]["code"] == "NOT_FOUND"
    accepted = (await gql(client, RESPOND, {"id": request_id, "a": True}, b))["data"]["respondMatchRequest"]
    assert accepted == {"request": {"status": "ACCEPTED"}, "errors": []}
    again = (await gql(client, RESPOND, {"id": request_id, "a": False}, b))["data"]["respondMatchRequest"]
    assert again["errors"][0]["code"] == "ALREADY_ANSWERED"
    reverse = (await gql(client, SEND, {"id": a_id}, b))["data"]["sendMatchRequest"]["errors"]
    assert reverse[0]["code"] == "DUPLICATE"  # answered already: nothing to ask
    # a stranger cannot read the request
    c, _, _ = await register(client)
    node = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": request_id}, c)
    assert node["data"]["node"] is None


async def test_concurrent_requests_between_two_people_make_one(client):
    a, a_id, _ = await register(client)
    b, b_id, _ = await register(client)
    results = await asyncio.gather(
        *[gql(client, SEND, {"id": b_id}, a) for _ in range(5)],
        *[gql(client, SEND, {"id": a_id}, b) for _ in range(5)],
    )
    ok = [r["data"]["sendMatchRequest"]["request"] for r in results if r["data"]["sendMatchRequest"]["errors"] == []]
    refused = {r["data"]["sendMatchRequest"]["errors"][0]["code"] for r in results if r["data"]["sendMatchRequest"]["errors"]}
    # One request; asking back in the race may accept it (once), every other try is DUPLICATE.
    assert len({r["id"] for r in ok}) == 1 and refused == {"DUPLICATE"}
    statuses = sorted(r["status"] for r in ok)
    assert statuses in (["PENDING"], ["ACCEPTED", "PENDING"], ["ACCEPTED"]), statuses


async def test_asking_back_is_saying_yes(client):
    """双向奔赴: B asks A while A's request to B waits: they match, B's notice of A's request
    is read, and A hears the acceptance; nobody gets a puzzling DUPLICATE."""
    a, a_id, _ = await register(client, name="小A")
    b, b_id, _ = await register(client, name="小B")
    first = (await gql(client, SEND, {"id": b_id, "m": "周末吃串串？"}, a))["data"]["sendMatchRequest"]
    back = (await gql(client, SEND, {"id": a_id, "m": "好呀"}, b))["data"]["sendMatchRequest"]
    assert back["errors"] == [] and back["request"]["id"] == first["request"]["id"]
    assert back["request"]["status"] == "ACCEPTED" and back["request"]["sender"]["id"] == a_id
    unread = "{ notifications(unreadOnly: true) { edges { node { kind } } } }"
    b_unread = (await gql(client, unread, token=b))["data"]["notifications"]["edges"]
    assert [e["node"]["kind"] for e in b_unread] == []
    a_unread = (await gql(client, unread, token=a))["data"]["notifications"]["edges"]
    assert [e["node"]["kind"] for e in a_unread] == ["match_accepted"]
    matches = (await gql(client, "{ matches { edges { node { matchedAt } } } }", token=a))["data"]["matches"]["edges"]
    assert len(matches) == 1


async def test_match_request_subscription_over_websocket(app, client):
    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    a, a_id, _ = await register(client)
    b, b_id, _ = await register(client)
    async with ASGIWebSocketTransport(app=app) as transport:
        import httpx

        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ws_client:
            async with aconnect_ws("/graphql", ws_client, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {b}"}})
                assert (await ws.receive_json())["type"] == "connection_ack"
                await ws.send_json(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": "subscription { matchRequestReceived { message sender { id } } }"
                        },
                    }
                )
                await asyncio.sleep(0.3)
                await gql(client, SEND, {"id": b_id, "m": "hi 你好"}, a)
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert message["type"] == "next"
                assert message["payload"]["data"]["matchRequestReceived"] == {
                    "message": "hi 你好",
                    "sender": {"id": a_id},
                }
