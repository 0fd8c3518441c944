"""A block is whole: no follow or request slips in beside it, match requests stop showing the
other person, and totals count what the viewer's lists show (found by exploratory runs)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.helpers import ADD_DISH, account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_blocking import BLOCK, UNBLOCK
from tests.test_deals import CREATE as DEAL
from tests.test_deals import iso
from tests.test_meals import host_meal
from tests.test_moderation import MODERATE, REPORT
from tests.test_tables_polls import CREATE as POLL

FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
REQUEST = (
    "mutation($u: ID!, $m: String) { sendMatchRequest(userId: $u, message: $m) { errors { code field } } }"
)
RESPOND = "mutation($r: ID!) { respondMatchRequest(requestId: $r, accept: true) { errors { code } } }"
REQUESTS = """query($d: MatchDirection!) { matchRequests(direction: $d) {
  totalCount edges { node { id status sender { id } recipient { id displayName bio } } } } }"""
FOLLOWS = """query($u: ID!) { node(id: $u) { ... on User { followersCount
  followers(first: 100) { totalCount edges { node { id } } } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"
REVIEWS = """query($d: ID!) { dish(id: $d) { reviews(first: 50) { totalCount edges { node { id } } } } }"""
REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code field } } }"


async def requests(client, token, direction):
    return (await gql(client, REQUESTS, {"d": direction}, token))["data"]["matchRequests"]


async def test_a_block_racing_follows_and_requests_leaves_neither(client):
    for _ in range(3):
        pest, _, _ = await register(client, name="追求者")
        target, target_id, _ = await register(client, name="被追")
        pest_id = (await gql(client, "{ me { id } }", token=pest))["data"]["me"]["id"]
        await asyncio.gather(
            *[gql(client, FOLLOW, {"u": target_id}, pest) for _ in range(6)],
            *[gql(client, REQUEST, {"u": target_id}, pest) for _ in range(3)],
            gql(client, BLOCK, {"u": pest_id}, target),
            *[gql(client, FOLLOW, {"u": target_id}, pest) for _ in range(6)],
        )
        assert (await requests(client, target, "INCOMING"))["edges"] == []
        counts = (await gql(client, FOLLOWS, {"u": target_id}, target))["data"]["node"]
        assert counts["followersCount"] == 0 and counts["followers"]["totalCount"] == 0
        await gql(client, UNBLOCK, {"u": pest_id}, target)  # no follow comes back with the unblock
        counts = (await gql(client, FOLLOWS, {"u": target_id}, target))["data"]["node"]
        assert counts["followersCount"] == 0 and counts["followers"]["edges"] == []


async def test_match_requests_stop_showing_blocked_and_suspended_people(client, services):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, bob_id, _ = await register(client, name="小波")
    carol, carol_id, _ = await register(client, name="小卡")
    await gql(client, REQUEST, {"u": alice_id}, bob)
    incoming = await requests(client, alice, "INCOMING")
    assert [e["node"]["sender"]["id"] for e in incoming["edges"]] == [bob_id]
    await gql(client, RESPOND, {"r": incoming["edges"][0]["node"]["id"]}, alice)
    request_id = incoming["edges"][0]["node"]["id"]
    await gql(client, BLOCK, {"u": bob_id}, alice)
    for token, direction in ((alice, "INCOMING"), (bob, "OUTGOING")):
        assert (await requests(client, token, direction))["edges"] == []
        assert (await gql(client, NODE, {"id": request_id}, token))["data"]["node"] is None

    # A suspended sender vanishes from the recipient's requests too.
    await gql(client, REQUEST, {"u": alice_id}, carol)
    assert len((await requests(client, alice, "INCOMING"))["edges"]) == 1
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": carol_id, "r": "SPAM"}, reporter))["data"]["reportContent"][
        "report"
    ]
    await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER"}, moderator)
    assert (await requests(client, alice, "INCOMING"))["edges"] == []


async def test_totals_count_what_the_viewer_is_shown(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    viewer, viewer_id, _ = await register(client, name="看客")
    pest, pest_id, _ = await register(client, name="讨厌鬼")
    star, star_id, _ = await register(client, name="网红")
    for token in (pest, star):
        await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4}}, token)
    await gql(client, FOLLOW, {"u": star_id}, pest)
    await gql(client, FOLLOW, {"u": star_id}, viewer)
    await gql(client, BLOCK, {"u": pest_id}, viewer)

    listed = (await gql(client, REVIEWS, {"d": dish}, viewer))["data"]["dish"]["reviews"]
    assert listed["totalCount"] == len(listed["edges"]) == 1
    everyone = (await gql(client, REVIEWS, {"d": dish}))["data"]["dish"]["reviews"]
    assert everyone["totalCount"] == len(everyone["edges"]) == 2

    for token, shown in ((viewer, 1), (pest, 1), (None, 2)):  # blocked either way: out of both
        got = (await gql(client, FOLLOWS, {"u": star_id}, token))["data"]["node"]
        assert (
            got["followersCount"] == got["followers"]["totalCount"] == len(got["followers"]["edges"]) == shown
        )


async def test_invisible_characters_are_refused_in_reviews_and_requests(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    diner, _, _ = await register(client)
    _, other_id, _ = await register(client)
    body = await gql(
        client, REVIEW, {"i": {"dishId": dish, "rating": 3, "body": "\u202e一般般 \u200b"}}, diner
    )
    assert body["data"]["createReview"]["errors"] == [{"code": "INVALID", "field": "body"}]
    sent = await gql(client, REQUEST, {"u": other_id, "m": "\u202eevil"}, diner)
    assert sent["data"]["sendMatchRequest"]["errors"] == [{"code": "INVALID", "field": "message"}]
    ok = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 3, "body": "好吃😋\n下次再来"}}, diner)
    assert ok["data"]["createReview"]["errors"] == []


async def test_every_list_item_and_free_text_field_refuses_hidden_characters(client):
    """Each tag judged on its own (an invisible tag can't hide between visible ones), and the
    other free text others read: poll questions, deal terms, reservation notes."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    for tags in (["😀", "\u200d", "😃"], ["a", "\u200c", "b"], ["\U0001f3f4", "\U000e0061\U000e0062"]):
        dish = {"name": "毛肚", "priceCents": 100, "tags": tags}
        body = await gql(client, ADD_DISH, {"r": restaurant, "i": dish}, owner)
        assert body["data"]["addDish"]["errors"] == [{"field": "tags", "code": "INVALID"}], tags
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    question = {"m": meal, "k": "DISH", "q": "吃啥\u202e", "o": [{"label": "a"}, {"label": "b"}]}
    asked = (await gql(client, POLL, question, host))["data"]["createMealPoll"]
    assert {"field": "question", "code": "INVALID"} in asked["errors"]
    reserved = await gql(client, NOTE, {"m": meal, "n": "靠窗\u200b"}, host)
    assert reserved["data"]["requestReservation"]["errors"] == [{"field": "note", "code": "INVALID"}]
    terms = {
        "restaurantId": restaurant,
        "title": "套餐",
        "priceCents": 0,
        "originalPriceCents": 100,
        "quantity": 5,
        "perUserLimit": 1,
        "terms": "周末可用\U000e0068\U000e0069",
        "startsAt": iso(timedelta(minutes=-1)),
        "endsAt": iso(timedelta(days=7)),
    }
    made = (await gql(client, DEAL, {"i": terms}, owner))["data"]["createDeal"]
    assert [(e["field"], e["code"]) for e in made["errors"]] == [("terms", "INVALID")]


NOTE = "mutation($m: ID!, $n: String!) { requestReservation(mealId: $m, note: $n) { errors { field code } } }"
