"""A meal its guests voted to another restaurant: its feed entry follows it (shown at the new
place, gone with the new place's visibility, not with the old one's)."""

from __future__ import annotations

from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_tables_polls import CLOSE, CREATE, VOTE, a_table

FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
FEED = "{ feed(first: 50) { edges { node { kind sharedMeal { id restaurant { id } } } } } }"
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"


async def meals_in_feed(client, token):
    edges = (await gql(client, FEED, token=token))["data"]["feed"]["edges"]
    return [e["node"]["sharedMeal"] for e in edges if e["node"]["kind"] == "SHARED_MEAL"]


async def test_the_feed_follows_a_meal_voted_to_another_restaurant(client):
    owner, restaurant, host, meal, (guest,) = await a_table(client, 1)
    host_id = (await gql(client, "{ me { id } }", token=host))["data"]["me"]["id"]
    follower, _, _ = await register(client, name="关注者")
    assert (await gql(client, FOLLOW, {"u": host_id}, follower))["data"]["follow"]["errors"] == []
    _, elsewhere = await open_restaurant(client, *random_spot(), name="烤鱼")
    options = [{"restaurantId": restaurant}, {"restaurantId": elsewhere}]
    poll = (await gql(client, CREATE, {"m": meal, "k": "RESTAURANT", "q": "去哪家", "o": options}, host))[
        "data"
    ]["createMealPoll"]["poll"]
    await gql(client, VOTE, {"p": poll["id"], "o": poll["options"][1]["id"]}, guest)
    assert (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]["errors"] == []
    assert await meals_in_feed(client, follower) == [{"id": meal, "restaurant": {"id": elsewhere}}]
    # The old place closing no longer takes the meal's entry with it.
    assert (await gql(client, ARCHIVE, {"r": restaurant}, owner))["data"]["archiveRestaurant"]["errors"] == []
    assert await meals_in_feed(client, follower) == [{"id": meal, "restaurant": {"id": elsewhere}}]
