"""Blocking, complete: the blocked person leaves the blocker's meals and lists, both ways."""

from __future__ import annotations

from tests.helpers import add_dish, gql, register
from tests.test_conversations import meal_with_guest

BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
UNBLOCK = "mutation($u: ID!) { unblockUser(userId: $u) { errors { code } } }"
JOIN = "mutation($m: ID!) { joinSharedMeal(mealId: $m) { status errors { code } } }"
LEAVE = "mutation($m: ID!) { leaveSharedMeal(mealId: $m) { errors { code } } }"
MEAL = "query($m: ID!) { node(id: $m) { ... on SharedMeal { seatsTaken waitlistCount } } }"
BLOCKED = "{ blockedUsers { edges { node { user { id displayName } blockedAt } } } }"


async def me(client, token: str) -> str:
    return (await gql(client, "{ me { id } }", token=token))["data"]["me"]["id"]


async def test_a_blocked_diner_on_the_waitlist_is_never_promoted(client):
    host, guest, meal, _ = await meal_with_guest(client)  # capacity 4: host + guest seated
    fillers = [(await register(client, name=f"客{i}"))[0] for i in range(2)]
    for token in fillers:
        assert (await gql(client, JOIN, {"m": meal}, token))["data"]["joinSharedMeal"]["status"] == "JOINED"
    pest, pest_id, _ = await register(client, name="讨厌鬼")
    assert (await gql(client, JOIN, {"m": meal}, pest))["data"]["joinSharedMeal"]["status"] == "WAITLISTED"
    assert (await gql(client, BLOCK, {"u": pest_id}, host))["data"]["blockUser"]["errors"] == []
    # A seat frees up: nobody may take it but the next diner the host has not blocked.
    await gql(client, LEAVE, {"m": meal}, guest)
    seen = (await gql(client, MEAL, {"m": meal}, host))["data"]["node"]
    assert seen["seatsTaken"] == 3 and seen["waitlistCount"] == 0
    # The blocked diner can't see the meal, nor join it again.
    assert (await gql(client, MEAL, {"m": meal}, pest))["data"]["node"] is None
    assert (await gql(client, JOIN, {"m": meal}, pest))["data"]["joinSharedMeal"]["errors"] == [
        {"code": "NOT_FOUND"}
    ]


async def test_blocking_the_host_leaves_the_hosts_meal(client):
    host, guest, meal, _ = await meal_with_guest(client)
    host_id = await me(client, host)
    await gql(client, BLOCK, {"u": host_id}, guest)
    seen = (await gql(client, MEAL, {"m": meal}, host))["data"]["node"]
    assert seen["seatsTaken"] == 1


async def test_blocked_users_lists_and_unblock_undoes(client):
    alice, _, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    await gql(client, BLOCK, {"u": bob_id}, alice)
    listed = (await gql(client, BLOCKED, token=alice))["data"]["blockedUsers"]["edges"]
    assert [e["node"]["user"] for e in listed] == [{"id": bob_id, "displayName": "小波"}]
    assert (await gql(client, BLOCKED, token=bob))["data"]["blockedUsers"]["edges"] == []
    assert (await gql(client, "query($u: ID!) { node(id: $u) { id } }", {"u": bob_id}, alice))["data"][
        "node"
    ] is None
    await gql(client, UNBLOCK, {"u": bob_id}, alice)
    assert (await gql(client, BLOCKED, token=alice))["data"]["blockedUsers"]["edges"] == []
    assert (await gql(client, "query($u: ID!) { node(id: $u) { id } }", {"u": bob_id}, alice))["data"]["node"]


async def test_reviews_of_a_blocked_person_leave_the_lists(client):
    from tests.helpers import open_restaurant, random_spot

    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    alice, _, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    created = await gql(
        client,
        "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }",
        {"i": {"dishId": dish, "rating": 5, "body": "好吃"}},
        bob,
    )
    review = created["data"]["createReview"]["review"]["id"]
    listing = "query($d: ID!) { dish(id: $d) { reviews { edges { node { id } } } } }"
    assert len((await gql(client, listing, {"d": dish}, alice))["data"]["dish"]["reviews"]["edges"]) == 1
    await gql(client, BLOCK, {"u": bob_id}, alice)
    assert (await gql(client, listing, {"d": dish}, alice))["data"]["dish"]["reviews"]["edges"] == []
    assert (await gql(client, "query($r: ID!) { node(id: $r) { id } }", {"r": review}, alice))["data"][
        "node"
    ] is None
    # Others still see it.
    assert len((await gql(client, listing, {"d": dish}))["data"]["dish"]["reviews"]["edges"]) == 1
