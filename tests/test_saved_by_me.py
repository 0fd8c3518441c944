"""savedByMe (收藏 heart) on Restaurant, Dish and SharedMeal: null signed out, true while the
viewer has the target in any of their lists; a page asking it costs one statement per kind
(a per-request loader keyed by viewer and kind), whatever the page size."""

from __future__ import annotations

from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.test_favourites import CREATE, DELETE, REMOVE, SAVE, ok, saved_world
from tests.test_restaurants import east
from tests.wire_sql import with_and_without

HEARTS = """query($r: ID!, $d: ID!, $m: ID!) {
  r: node(id: $r) { ... on Restaurant { savedByMe } }
  d: node(id: $d) { ... on Dish { savedByMe } }
  m: node(id: $m) { ... on SharedMeal { savedByMe } } }"""
NEARBY = """query($lat: Float!, $lng: Float!, $first: Int) {
  restaurantsNearby(lat: $lat, lng: $lng, radiusKm: 20, first: $first) {
    edges { node { id name distanceKm HEART } } } }"""
DISHES = """query($r: ID!, $first: Int) { node(id: $r) { ... on Restaurant {
  dishes(first: $first) { edges { node { id name HEART } } } } } }"""


async def hearts(client, token, restaurant, dish, meal_id):
    data = (await gql(client, HEARTS, {"r": restaurant, "d": dish, "m": meal_id}, token))["data"]
    return data["r"]["savedByMe"], data["d"]["savedByMe"], data["m"]["savedByMe"]


async def test_saved_by_me_for_the_saver_others_and_anonymous(client):
    _, restaurant, dish, _, _, meal_id, diner, _ = await saved_world(client)
    other, _, _ = await register(client, name="路人")
    target = (restaurant, dish, meal_id)
    assert await hearts(client, diner, *target) == (False, False, False)
    assert await hearts(client, None, *target) == (None, None, None)

    items = {}
    for t in target:
        items[t] = ok(await gql(client, SAVE, {"t": t}, diner), "saveFavourite")["item"]["id"]
    assert await hearts(client, diner, *target) == (True, True, True)
    assert await hearts(client, other, *target) == (False, False, False)
    assert await hearts(client, None, *target) == (None, None, None)

    # Any list counts: the restaurant also on a named list stays saved when the default loses it.
    named = ok(await gql(client, CREATE, {"n": "约会"}, diner), "createFavouriteList")["list"]["id"]
    ok(await gql(client, SAVE, {"t": restaurant, "l": named}, diner), "saveFavourite")
    ok(await gql(client, REMOVE, {"i": items[restaurant]}, diner), "removeFavourite")
    ok(await gql(client, REMOVE, {"i": items[dish]}, diner), "removeFavourite")
    assert await hearts(client, diner, *target) == (True, False, True)
    ok(await gql(client, DELETE, {"l": named}, diner), "deleteFavouriteList")
    ok(await gql(client, REMOVE, {"i": items[meal_id]}, diner), "removeFavourite")
    assert await hearts(client, diner, *target) == (False, False, False)


async def test_saved_by_me_is_fresh_after_a_save_in_the_same_request(client):
    """The loader forgets the viewer's answers on a save or removal: the restaurant read false by
    the first mutation field is true in the second, after it was saved."""
    _, restaurant, dish, _, _, _, diner, _ = await saved_world(client)
    both = """mutation($d: ID!, $r: ID!) {
      a: saveFavourite(targetId: $d) { item { dish { savedByMe restaurant { savedByMe } } } }
      b: saveFavourite(targetId: $r) { item { id restaurant { savedByMe } } } }"""
    data = (await gql(client, both, {"d": dish, "r": restaurant}, diner))["data"]
    assert data["a"]["item"]["dish"] == {"savedByMe": True, "restaurant": {"savedByMe": False}}
    assert data["b"]["item"]["restaurant"]["savedByMe"] is True
    removed = """mutation($i: ID!, $r: ID!) { removeFavourite(itemId: $i) { deletedId }
      after: saveFavourite(targetId: $r) { item { restaurant { savedByMe } } } }"""
    # (saving again answers the item already there; the removal before it took it off first)
    item = data["b"]["item"]["id"]
    again = (await gql(client, removed, {"i": item, "r": restaurant}, diner))["data"]
    assert again["after"]["item"]["restaurant"]["savedByMe"] is True


async def test_a_page_of_restaurants_asking_saved_by_me_costs_one_statement_whatever_its_size(client):
    lat, lng = random_spot()
    owner, first = await open_restaurant(client, *east(lat, lng, 0.3), name="一号")
    ids = [first]
    for i in range(1, 10):
        spot = east(lat, lng, 0.3 + 0.2 * i)
        ids.append((await open_restaurant(client, *spot, name=f"{i}号", owner_token=owner))[1])
    diner, _, _ = await register(client, name="吃货")
    for saved in (ids[0], ids[3], ids[9]):
        ok(await gql(client, SAVE, {"t": saved}, diner), "saveFavourite")

    for size in (2, 10):
        variables = {"lat": lat, "lng": lng, "first": size}
        body, plain, hearted = await with_and_without(client, NEARBY, "HEART", "savedByMe", variables, diner)
        edges = body["data"]["restaurantsNearby"]["edges"]
        assert [e["node"]["id"] for e in edges] == ids[:size]
        expected = {ids[0], ids[3], ids[9]}
        assert [e["node"]["savedByMe"] for e in edges] == [i in expected for i in ids[:size]]
        assert len(hearted) == len(plain) + 1, (size, plain, hearted)
        extra = [s for s in hearted if "favourite_items" in s]
        assert len(extra) == 1, hearted

        # signed out: null everywhere, and nothing read for it
        body, plain, hearted = await with_and_without(client, NEARBY, "HEART", "savedByMe", variables, None)
        assert {e["node"]["savedByMe"] for e in body["data"]["restaurantsNearby"]["edges"]} == {None}
        assert len(hearted) == len(plain) and not [s for s in hearted if "favourite_items" in s], hearted


async def test_a_menu_page_asking_saved_by_me_costs_one_statement_whatever_its_size(client):
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    dishes = [await add_dish(client, owner, restaurant, name=f"菜{i}") for i in range(10)]
    diner, _, _ = await register(client, name="吃货")
    for saved in (dishes[1], dishes[8]):
        ok(await gql(client, SAVE, {"t": saved}, diner), "saveFavourite")

    for size in (2, 10):
        body, plain, hearted = await with_and_without(
            client, DISHES, "HEART", "savedByMe", {"r": restaurant, "first": size}, diner
        )
        edges = body["data"]["node"]["dishes"]["edges"]
        assert [e["node"]["savedByMe"] for e in edges] == [d in (dishes[1], dishes[8]) for d in dishes[:size]]
        assert len(hearted) == len(plain) + 1, (size, plain, hearted)
        assert len([s for s in hearted if "favourite_items" in s]) == 1, hearted
