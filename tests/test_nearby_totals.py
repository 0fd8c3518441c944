"""totalCount on the nearby connections (issue 15): one COUNT over the same radius and visibility
condition, run only when selected, equal to the number of items paged through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.restaurants import Restaurant, Visibility
from schema.ids import decode
from tests.conftest import count_sql
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_foodies import diner, offset

PAGE = "totalCount edges { node { id } } pageInfo { hasNextPage endCursor }"
AT = "lat: $lat, lng: $lng, radiusKm: 3, first: 2, after: $after"
QUERIES = {
    name: f"query($lat: Float!, $lng: Float!, $after: String) {{ {name}({AT}) {{ {PAGE} }} }}"
    for name in ("restaurantsNearby", "sharedMealsNearby", "eventsNearby", "dealsNearby")
}
FOODIES = (
    "query($after: String) { nearbyFoodies(radiusKm: 10, first: 2, after: $after) { "
    + PAGE.replace("node { id }", "node { user { id } }")
    + " } }"
)
MEAL = "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { errors { code } } }"
EVENT = "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { errors { code } } }"
DEAL = "mutation($i: DealInput!) { createDeal(input: $i) { errors { code } } }"
PROFILE = "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { code } } }"


async def paged(client, name, document, variables, token=None):
    """Every page's totalCount, and how many items the pages held in all."""
    totals, seen, after = set(), 0, None
    while True:
        found = (await gql(client, document, {**variables, "after": after}, token))["data"][name]
        totals.add(found["totalCount"])
        seen += len(found["edges"])
        if not found["pageInfo"]["hasNextPage"]:
            return totals, seen
        after = found["pageInfo"]["endCursor"]


async def test_nearby_total_counts_match_what_the_pages_hold(client):
    lat, lng = random_spot()
    owner, _, _ = await register(client, name="老板", account_type="RESTAURANT")
    host, _, _ = await register(client, name="局长")
    soon = datetime.now(UTC) + timedelta(days=2)
    places = []
    for km in (0.4, 0.9, 1.3, 1.8, 2.2, 2.7, 4.5):  # the last one is outside the 3 km radius
        _, restaurant = await open_restaurant(client, *offset(lat, lng, km, 0), owner_token=owner)
        places.append(restaurant)
    for restaurant in places[:5]:
        base = {"restaurantId": restaurant, "title": "局", "startsAt": soon.isoformat()}
        assert (await gql(client, MEAL, {"i": {**base, "capacity": 4}}, host))["data"]["createSharedMeal"][
            "errors"
        ] == []
        ends = (soon + timedelta(hours=2)).isoformat()
        await gql(client, EVENT, {"i": {**base, "endsAt": ends, "capacity": 9}}, owner)
        deal = {"restaurantId": restaurant, "title": "券", "priceCents": 0, "originalPriceCents": 100}
        window = {"quantity": 5, "startsAt": datetime.now(UTC).isoformat(), "endsAt": ends}
        assert (await gql(client, DEAL, {"i": {**deal, **window}}, owner))["data"]["createDeal"][
            "errors"
        ] == []
    followers = {"restaurantId": places[0], "title": "私局", "startsAt": soon.isoformat(), "capacity": 3}
    await gql(client, MEAL, {"i": {**followers, "visibility": "FOLLOWERS"}}, host)  # not listed
    # Moderation hides one restaurant (it stays in the spatial index): it and its rows leave.
    await Restaurant.filter(id=decode(places[1], "Restaurant", "id")).update(visibility=Visibility.HIDDEN)

    expected = {"restaurantsNearby": 5, "sharedMealsNearby": 4, "eventsNearby": 4, "dealsNearby": 4}
    for name, document in QUERIES.items():
        totals, seen = await paged(client, name, document, {"lat": lat, "lng": lng})
        assert totals == {seen} and seen == expected[name], name

    me, _, _ = await diner(client, lat, lng)
    for km in (0.5, 1.0, 1.5, 2.0):
        await diner(client, *offset(lat, lng, 0, km))
    shy, _, _ = await diner(client, *offset(lat, lng, 0, 0.7))
    await gql(client, PROFILE, {"i": {"discoverable": False}}, shy)
    # Both ends are obfuscated (privacy cell + offset, up to ~2 km each): margins of 8 km and 15 km.
    await diner(client, *offset(lat, lng, 0, 25))  # too far
    totals, seen = await paged(client, "nearbyFoodies", FOODIES, {}, me)
    assert totals == {seen} and seen == 4


async def test_nearby_total_is_counted_only_when_selected(client):
    lat, lng = random_spot()
    await open_restaurant(client, lat, lng)
    plain = "query($lat: Float!, $lng: Float!) { restaurantsNearby(lat: $lat, lng: $lng) { edges { node { id } } } }"
    counted = plain.replace("{ edges", "{ totalCount edges")
    with count_sql() as without:
        await gql(client, plain, {"lat": lat, "lng": lng})
    with count_sql() as with_total:
        body = await gql(client, counted, {"lat": lat, "lng": lng})
    assert body["data"]["restaurantsNearby"]["totalCount"] == 1
    extra = [s for s in with_total.statements if "COUNT(" in s.upper().replace(" (", "(")]
    assert len(with_total.statements) == len(without.statements) + 1 and len(extra) == 1
