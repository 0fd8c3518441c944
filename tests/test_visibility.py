"""Who sees what after moderation, suspension and blocks: every path an object can be reached by
(node(), relations, lists, nearby, feed, notifications, attribution), through the endpoint."""

from __future__ import annotations

import base64
import json

from schema.ids import encode
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.test_deals import REDEEM, a_deal, claim, code_of
from tests.test_meals import EVENT, east, host_meal, later

REPORT = """
mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { report { id } errors { code } } }
"""
MODERATE = """
mutation($r: ID!, $a: ModerationAction!) { moderate(reportId: $r, action: $a) { errors { field code } } }
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Photo { url } ... on SharedMeal { title } } }"
REVIEW = """
mutation($i: ReviewInput!) { createReview(input: $i) { review { id photos { id } } errors { code } } }
"""
FOLLOW = "mutation($id: ID!) { follow(userId: $id) { errors { code } } }"
BLOCK = "mutation($id: ID!) { blockUser(userId: $id) { errors { code } } }"
FEED = "{ feed(first: 50) { edges { node { kind actor { id } review { id } sharedMeal { id } } } } }"
CREDITS = "{ me { referralCredits } }"
NEARBY = """
query($lat: Float!, $lng: Float!) {
  dealsNearby(lat: $lat, lng: $lng, radiusKm: 5) { edges { node { id restaurant { id } } } }
  sharedMealsNearby(lat: $lat, lng: $lng, radiusKm: 5) { edges { node { id } } }
  eventsNearby(lat: $lat, lng: $lng, radiusKm: 5) { edges { node { id } } } }
"""
RESTAURANTS_NEAR = """
query($lat: Float!, $lng: Float!, $first: Int, $after: String) {
  restaurantsNearby(lat: $lat, lng: $lng, radiusKm: 10, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor } } }
"""
QUEUE = """
query($first: Int, $after: String) { moderationQueue(targetType: "SharedMeal", first: $first, after: $after) {
  edges { node { id targetId } } pageInfo { hasNextPage endCursor } } }
"""
NOTES = "{ notifications(first: 20) { edges { node { kind meal { id guests { user { id } } } } } } }"
REMOVE_GUEST = "mutation($m: ID!, $u: ID!) { removeMealGuest(mealId: $m, userId: $u) { errors { code } } }"
JOIN = "mutation($id: ID!) { joinSharedMeal(mealId: $id) { status errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelSharedMeal(mealId: $id) { errors { code } } }"


async def report(client, target_id: str) -> str:
    reporter, _, _ = await register(client, name="举报人")
    body = await gql(client, REPORT, {"t": target_id}, reporter)
    return body["data"]["reportContent"]["report"]["id"]


async def moderate(client, moderator: str, target_id: str, action: str, report_id: str | None = None) -> str:
    """A diner reports the target (unless a report is given); a moderator acts on the report."""
    report_id = report_id or await report(client, target_id)
    body = await gql(client, MODERATE, {"r": report_id, "a": action}, moderator)
    assert body["data"]["moderate"]["errors"] == [], body["data"]["moderate"]["errors"]
    return report_id


async def node(client, global_id: str, token: str | None = None):
    return (await gql(client, NODE, {"id": global_id}, token))["data"]["node"]


async def test_photos_of_hidden_or_removed_reviews_are_not_served(client, services):
    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client, name="作者")
    photo = (await upload_photo(client, author))["id"]
    unused = (await upload_photo(client, author))["id"]
    body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4, "photoIds": [photo]}}, author)
    review = body["data"]["createReview"]["review"]["id"]
    stranger, _, _ = await register(client)
    assert (await node(client, photo))["url"]

    report_id = await moderate(client, moderator, review, "HIDE_CONTENT")
    for token in (None, stranger):
        assert await node(client, photo, token) is None
    assert (await node(client, photo, author))["url"]  # the owner still sees their own photo
    await moderate(client, moderator, review, "RESTORE_CONTENT", report_id)
    assert (await node(client, photo))["url"]
    await moderate(client, moderator, review, "REMOVE_CONTENT")
    assert await node(client, photo) is None and await node(client, photo, stranger) is None
    # A photo on no review yet is its owner's alone (ids are sequential: no browsing uploads).
    assert await node(client, unused) is None and (await node(client, unused, author))["url"]


async def test_removed_meal_or_event_earns_no_referral_credit(client, services):
    moderator, _ = await account_with_role(client, services)
    owner, restaurant, deal = await a_deal(client, perUserLimit=5)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    reader, _, _ = await register(client)
    source = {"type": "SHARED_MEAL", "id": meal}
    before = await claim(client, reader, deal, source=source)
    assert before["errors"] == [] and before["claim"]["source"] == "SHARED_MEAL"

    await moderate(client, moderator, meal, "REMOVE_CONTENT")
    after = await claim(client, reader, deal, source=source)
    assert after["claim"] is None and after["errors"][0]["field"] == "source"
    # The claim made before the removal is still a good voucher, but pays its host nothing.
    await gql(client, REDEEM, {"c": code_of(before)}, owner)
    assert (await gql(client, CREDITS, token=host))["data"]["me"]["referralCredits"] == 0

    event_input = {
        "restaurantId": restaurant,
        "title": "品鉴会",
        "startsAt": later(24),
        "endsAt": later(27),
        "capacity": 10,
    }
    event = (await gql(client, EVENT, {"i": event_input}, owner))["data"]["createRestaurantEvent"]["event"]
    await moderate(client, moderator, event["id"], "REMOVE_CONTENT")
    via_event = await claim(client, reader, deal, source={"type": "EVENT", "id": event["id"]})
    assert via_event["claim"] is None and via_event["errors"][0]["field"] == "source"


async def test_everything_at_a_removed_restaurant_goes_with_it(client, services):
    moderator, _ = await account_with_role(client, services)
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    _, _, deal = await a_deal(client, owner, restaurant)
    _, _, meal, _ = await host_meal(client, restaurant=restaurant)
    event_input = {
        "restaurantId": restaurant,
        "title": "品鉴会",
        "startsAt": later(24),
        "endsAt": later(27),
        "capacity": 5,
    }
    await gql(client, EVENT, {"i": event_input}, owner)
    diner, _, _ = await register(client)
    listed = (await gql(client, NEARBY, {"lat": lat, "lng": lng}, diner))["data"]
    assert [len(listed[k]["edges"]) for k in ("dealsNearby", "sharedMealsNearby", "eventsNearby")] == [
        1,
        1,
        1,
    ]

    await moderate(client, moderator, restaurant, "REMOVE_CONTENT")
    for token in (diner, None):
        listed = (await gql(client, NEARBY, {"lat": lat, "lng": lng}, token))["data"]
        assert [listed[k]["edges"] for k in ("dealsNearby", "sharedMealsNearby", "eventsNearby")] == [
            [],
            [],
            [],
        ]
    refused = await claim(client, diner, deal)
    assert refused["claim"] is None and refused["errors"][0]["code"] == "NOT_FOUND"
    assert await node(client, deal, diner) is None and await node(client, meal, diner) is None


async def test_feed_leaves_out_suspended_people(client, services):
    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, author_id, _ = await register(client, name="作者")
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5}}, author))["data"]["createReview"]
    fan, _, _ = await register(client)
    await gql(client, FOLLOW, {"id": author_id}, fan)
    items = (await gql(client, FEED, token=fan))["data"]["feed"]["edges"]
    assert [(i["node"]["actor"]["id"], i["node"]["review"]["id"]) for i in items] == [
        (author_id, review["review"]["id"])
    ]

    await moderate(client, moderator, author_id, "SUSPEND_USER")
    items = (await gql(client, FEED, token=fan))["data"]["feed"]["edges"]
    assert items == []
    assert await node(client, review["review"]["id"], fan) is None


async def test_notification_meal_shows_only_what_its_reader_may_see(client):
    host, host_id, meal, _ = await host_meal(client, visibility="FOLLOWERS")
    guest, guest_id, _ = await register(client, name="客人")
    await gql(client, FOLLOW, {"id": host_id}, guest)
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["status"] == "JOINED"
    await gql(client, REMOVE_GUEST, {"m": meal, "u": guest_id}, host)
    notes = (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    assert [(n["node"]["kind"], n["node"]["meal"]["id"]) for n in notes] == [("removed", meal)]

    await gql(client, BLOCK, {"id": guest_id}, host)
    notes = (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    assert [(n["node"]["kind"], n["node"]["meal"]) for n in notes] == [("removed", None)]
    assert await node(client, meal, guest) is None


async def test_restaurants_nearby_pages_past_hidden_restaurants(client, services):
    moderator, _ = await account_with_role(client, services)
    lat, lng = random_spot()
    owner, first = await open_restaurant(client, *east(lat, lng, 1))
    _, second = await open_restaurant(client, *east(lat, lng, 2), owner_token=owner)
    _, third = await open_restaurant(client, *east(lat, lng, 3), owner_token=owner)
    for hidden in (first, second):
        await moderate(client, moderator, hidden, "HIDE_CONTENT")
    conn = (await gql(client, RESTAURANTS_NEAR, {"lat": lat, "lng": lng, "first": 2}))["data"][
        "restaurantsNearby"
    ]
    assert [e["node"]["id"] for e in conn["edges"]] == [third]
    assert conn["pageInfo"]["hasNextPage"] is False
    seen, after = [], None
    for _ in range(5):
        variables = {"lat": lat, "lng": lng, "first": 1, "after": after}
        conn = (await gql(client, RESTAURANTS_NEAR, variables))["data"]["restaurantsNearby"]
        seen += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
        assert after is not None
    assert seen == [third]


async def test_moderation_queue_pages_neither_skip_nor_repeat_as_reports_arrive(client, services):
    moderator, _ = await account_with_role(client, services)
    meals = [(await host_meal(client))[2] for _ in range(3)]
    originals = [await report(client, meal) for meal in meals]
    first_page = (await gql(client, QUEUE, {"first": 1}, moderator))["data"]["moderationQueue"]
    seen = [e["node"]["id"] for e in first_page["edges"]]
    after = first_page["pageInfo"]["endCursor"]
    for _ in range(2):  # the last target becomes the most reported while the moderator pages
        await report(client, meals[-1])
    for _ in range(50):
        page = (await gql(client, QUEUE, {"first": 1, "after": after}, moderator))["data"]["moderationQueue"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    mine = [r for r in seen if r in originals]
    assert sorted(mine) == sorted(originals) and len(set(seen)) == len(seen)
    negative = base64.urlsafe_b64encode(json.dumps([-5]).encode()).decode()
    refused = await gql(client, QUEUE, {"first": 1, "after": negative}, moderator, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_profile_source_must_name_someone_the_claimer_may_see(client):
    owner, _, deal = await a_deal(client, perUserLimit=3)
    reader, _, _ = await register(client)
    missing = encode("User", 987_654_321)
    bad = await claim(client, reader, deal, source={"type": "PROFILE", "id": missing})
    assert bad["claim"] is None and [(e["field"], e["code"]) for e in bad["errors"]] == [
        ("source", "INVALID")
    ]
    friend, friend_id, _ = await register(client)
    good = await claim(client, reader, deal, source={"type": "PROFILE", "id": friend_id})
    await gql(client, REDEEM, {"c": code_of(good)}, owner)
    assert (await gql(client, CREDITS, token=friend))["data"]["me"]["referralCredits"] == 500


async def test_restoring_a_cancelled_meal_keeps_it_out_of_the_feed(client, services):
    moderator, _ = await account_with_role(client, services)
    host, host_id, meal, _ = await host_meal(client)
    fan, _, _ = await register(client)
    await gql(client, FOLLOW, {"id": host_id}, fan)
    assert [
        i["node"]["sharedMeal"]["id"] for i in (await gql(client, FEED, token=fan))["data"]["feed"]["edges"]
    ] == [meal]
    await gql(client, CANCEL, {"id": meal}, host)
    report_id = await moderate(client, moderator, meal, "HIDE_CONTENT")
    await moderate(client, moderator, meal, "RESTORE_CONTENT", report_id)
    assert (await gql(client, FEED, token=fan))["data"]["feed"]["edges"] == []
