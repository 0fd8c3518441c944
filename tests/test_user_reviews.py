"""A diner's profile lists their reviews (TA的点评), as the restaurant page's rules show them."""

from __future__ import annotations

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_moderation import MODERATE, REPORT
from tests.test_reviews import review
from tests.wire_sql import with_and_without

PROFILE = """query($u: ID!, $first: Int, $after: String, $sort: ReviewSort) { node(id: $u) { ... on User {
  reviewCount reviews(first: $first, after: $after, sort: $sort) {
    edges { node { id rating dish { name } } } pageInfo { hasNextPage endCursor } totalCount } } } }"""
FOLLOWERS = """query($u: ID!) { node(id: $u) { ... on User { followers(first: 10) {
  edges { node { id displayName EXTRA } } } } } }"""
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"


async def profile(client, user, token=None, **variables):
    body = await gql(client, PROFILE, {"u": user, **variables}, token)
    return body["data"]["node"]


def listed(node):
    return [edge["node"]["id"] for edge in node["reviews"]["edges"]]


async def test_a_profile_lists_the_diners_reviews_newest_first_and_pages(client):
    owner, hotpot = await open_restaurant(client, *random_spot(), name="蜀九香")
    other_owner, noodles = await open_restaurant(client, *random_spot(), name="兰州拉面")
    dishes = [await add_dish(client, owner, hotpot, name) for name in ("毛肚", "鸭肠")]
    dishes.append(await add_dish(client, other_owner, noodles, "牛肉面", 1800))
    author, author_id, _ = await register(client, name="点评达人")
    written = [
        (await review(client, author, dish, rating=5 - i))["review"]["id"] for i, dish in enumerate(dishes)
    ]
    reader, _, _ = await register(client, name="路人")
    node = await profile(client, author_id, reader, first=2)
    assert node["reviewCount"] == 3 and node["reviews"]["totalCount"] == 3
    assert listed(node) == written[::-1][:2] and node["reviews"]["pageInfo"]["hasNextPage"]
    rest = await profile(client, author_id, reader, first=2, after=node["reviews"]["pageInfo"]["endCursor"])
    assert listed(rest) == written[:1] and not rest["reviews"]["pageInfo"]["hasNextPage"]
    lowest = await profile(client, author_id, None, first=5, sort="LOWEST")  # signed out too
    assert listed(lowest) == written[::-1]
    newcomer, newcomer_id, _ = await register(client, name="新人")
    empty = await profile(client, newcomer_id, newcomer)
    assert empty["reviewCount"] == 0 and listed(empty) == [] and empty["reviews"]["totalCount"] == 0


async def test_hidden_reviews_and_closed_restaurants_leave_the_list_and_its_count(client, services):
    owner, open_one = await open_restaurant(client, *random_spot(), name="开着的店")
    closing_owner, closing = await open_restaurant(client, *random_spot(), name="要关的店")
    kept, hidden, closed = (
        await add_dish(client, owner, open_one, "回锅肉"),
        await add_dish(client, owner, open_one, "鱼香肉丝"),
        await add_dish(client, closing_owner, closing, "夫妻肺片"),
    )
    author, author_id, _ = await register(client, name="老饕")
    ids = {dish: (await review(client, author, dish))["review"]["id"] for dish in (kept, hidden, closed)}
    reporter, _, _ = await register(client, name="举报人")
    report = await gql(client, REPORT, {"t": ids[hidden], "r": "SPAM"}, reporter)
    moderator, _ = await account_with_role(client, services)
    report_id = report["data"]["reportContent"]["report"]["id"]
    await gql(client, MODERATE, {"r": report_id, "a": "HIDE_CONTENT"}, moderator)
    assert (await gql(client, ARCHIVE, {"r": closing}, closing_owner))["data"]["archiveRestaurant"][
        "errors"
    ] == []
    for viewer in (None, author):
        node = await profile(client, author_id, viewer, first=10)
        assert listed(node) == [ids[kept]], viewer
        assert node["reviewCount"] == 1 and node["reviews"]["totalCount"] == 1


async def test_review_counts_of_a_list_of_people_cost_one_statement(client):
    star, star_id, _ = await register(client, name="大V")
    owner, place = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, place, "担担面", 1500)
    fans = []
    for i in range(4):
        fan, fan_id, _ = await register(client, name=f"粉丝{i}")
        assert (await gql(client, FOLLOW, {"u": star_id}, fan))["data"]["follow"]["errors"] == []
        if i % 2 == 0:
            await review(client, fan, dish, rating=4)
        fans.append(fan_id)
    body, plain, asked = await with_and_without(
        client, FOLLOWERS, "EXTRA", "reviewCount", {"u": star_id}, star
    )
    counts = {e["node"]["id"]: e["node"]["reviewCount"] for e in body["data"]["node"]["followers"]["edges"]}
    assert counts == {fan: 1 if i % 2 == 0 else 0 for i, fan in enumerate(fans)}
    assert len(asked) == len(plain) + 1, (plain, asked)
