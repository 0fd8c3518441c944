"""Favourites (issue 15): default and named lists, items, sharing by link, and targets that
disappear for the reader once hidden, archived or blocked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import add_dish, gql, open_restaurant, random_spot, register

SAVE = """mutation($t: ID!, $l: ID) { saveFavourite(targetId: $t, listId: $l) {
  item { id kind restaurant { id } dish { id } sharedMeal { id } } list { id name isDefault }
  errors { field code } } }"""
CREATE = "mutation($n: String!) { createFavouriteList(name: $n) { list { id name } errors { field code } } }"
RENAME = """mutation($l: ID!, $n: String!) { renameFavouriteList(listId: $l, name: $n) {
  list { name } errors { field code } } }"""
DELETE = "mutation($l: ID!) { deleteFavouriteList(listId: $l) { deletedId errors { field code } } }"
REMOVE = "mutation($i: ID!) { removeFavourite(itemId: $i) { deletedId errors { field code } } }"
SHARE = """mutation($l: ID!) { shareFavouriteList(listId: $l) { shareToken list { shared }
  errors { field code } } }"""
UNSHARE = "mutation($l: ID!) { unshareFavouriteList(listId: $l) { list { shared } errors { field code } } }"
ITEMS = "items(first: $n) { totalCount edges { node { id kind } } pageInfo { hasNextPage } }"
MINE = f"""query($n: Int) {{ myFavouriteLists {{ totalCount edges {{ node {{ id name isDefault
  {ITEMS} }} }} }} }}"""
SHARED = f"""query($s: String!, $n: Int) {{ favouriteList(shareToken: $s) {{ name owner {{ displayName }}
  {ITEMS} }} }}"""
NODE = "query($id: ID!) { node(id: $id) { ... on FavouriteList { name } } }"
MEAL = """mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { code } } }"""
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"


def ok(body, name):
    payload = body["data"][name]
    assert payload["errors"] == [], payload["errors"]
    return payload


def codes(body, name):
    return [(e["field"], e["code"]) for e in body["data"][name]["errors"]]


async def meal(client, token, restaurant):
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    made = {"restaurantId": restaurant, "title": "火锅局", "startsAt": soon, "capacity": 4}
    return ok(await gql(client, MEAL, {"i": made}, token), "createSharedMeal")["meal"]["id"]


async def saved_world(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    host, host_id, _ = await register(client, name="局长")
    meal_id = await meal(client, host, restaurant)
    diner, diner_id, _ = await register(client, name="吃货")
    return owner, restaurant, dish, host, host_id, meal_id, diner, diner_id


async def test_default_list_named_lists_items_and_counts(client):
    owner, restaurant, dish, _, _, meal_id, diner, _ = await saved_world(client)
    assert (await gql(client, MINE, {"n": 10}, diner))["data"]["myFavouriteLists"]["totalCount"] == 0

    first = ok(await gql(client, SAVE, {"t": restaurant}, diner), "saveFavourite")
    assert first["list"]["isDefault"] and first["item"]["kind"] == "RESTAURANT"
    assert first["item"]["restaurant"]["id"] == restaurant
    default = first["list"]["id"]
    for target in (dish, meal_id):
        assert ok(await gql(client, SAVE, {"t": target}, diner), "saveFavourite")["list"]["id"] == default
    again = ok(await gql(client, SAVE, {"t": restaurant}, diner), "saveFavourite")
    assert again["item"]["id"] == first["item"]["id"]  # saving twice keeps one item

    named = ok(await gql(client, CREATE, {"n": " 周末去 "}, diner), "createFavouriteList")["list"]
    assert named["name"] == "周末去"
    put = ok(await gql(client, SAVE, {"t": dish, "l": named["id"]}, diner), "saveFavourite")
    assert put["list"]["id"] == named["id"] and put["item"]["dish"]["id"] == dish
    renamed = await gql(client, RENAME, {"l": named["id"], "n": "约会"}, diner)
    assert ok(renamed, "renameFavouriteList")["list"]["name"] == "约会"

    mine = (await gql(client, MINE, {"n": 2}, diner))["data"]["myFavouriteLists"]
    assert mine["totalCount"] == 2
    lists = {e["node"]["name"]: e["node"] for e in mine["edges"]}
    saved = lists["默认收藏"]["items"]
    assert saved["totalCount"] == 3 and len(saved["edges"]) == 2 and saved["pageInfo"]["hasNextPage"]
    assert [e["node"]["kind"] for e in saved["edges"]] == ["SHARED_MEAL", "DISH"]  # newest first
    assert lists["约会"]["items"]["totalCount"] == 1

    gone = await gql(client, REMOVE, {"i": first["item"]["id"]}, diner)
    assert ok(gone, "removeFavourite")["deletedId"] == first["item"]["id"]
    deleted = await gql(client, DELETE, {"l": named["id"]}, diner)
    assert ok(deleted, "deleteFavouriteList")["deletedId"] == named["id"]
    mine = (await gql(client, MINE, {"n": 10}, diner))["data"]["myFavouriteLists"]
    assert mine["totalCount"] == 1 and mine["edges"][0]["node"]["items"]["totalCount"] == 2


async def test_share_link_rotate_revoke_and_privacy(client):
    _, restaurant, dish, _, _, _, diner, _ = await saved_world(client)
    other, _, _ = await register(client, name="路人")
    listed = ok(await gql(client, SAVE, {"t": restaurant}, diner), "saveFavourite")["list"]["id"]
    await gql(client, SAVE, {"t": dish}, diner)

    # Private: others get nothing by ID, and can't change it.
    assert (await gql(client, NODE, {"id": listed}, other))["data"]["node"] is None
    assert (await gql(client, NODE, {"id": listed}))["data"]["node"] is None
    assert (await gql(client, NODE, {"id": listed}, diner))["data"]["node"] == {"name": "默认收藏"}
    assert codes(await gql(client, RENAME, {"l": listed, "n": "抢"}, other), "renameFavouriteList") == [
        ("listId", "NOT_FOUND")
    ]
    assert codes(await gql(client, SAVE, {"t": dish, "l": listed}, other), "saveFavourite") == [
        ("listId", "NOT_FOUND")
    ]
    assert (await gql(client, MINE, {"n": 5}, other))["data"]["myFavouriteLists"]["totalCount"] == 0

    shared = ok(await gql(client, SHARE, {"l": listed}, diner), "shareFavouriteList")
    token = shared["shareToken"]
    assert shared["list"]["shared"] and len(token) >= 32
    for reader in (None, other):
        seen = (await gql(client, SHARED, {"s": token, "n": 10}, reader))["data"]["favouriteList"]
        assert seen["name"] == "默认收藏" and seen["owner"]["displayName"] == "吃货"
        assert seen["items"]["totalCount"] == 2 and len(seen["items"]["edges"]) == 2

    rotated = ok(await gql(client, SHARE, {"l": listed}, diner), "shareFavouriteList")["shareToken"]
    assert rotated != token
    assert (await gql(client, SHARED, {"s": token, "n": 1}))["data"]["favouriteList"] is None
    assert (await gql(client, SHARED, {"s": rotated, "n": 1}))["data"]["favouriteList"] is not None
    revoked = ok(await gql(client, UNSHARE, {"l": listed}, diner), "unshareFavouriteList")
    assert revoked["list"]["shared"] is False
    assert (await gql(client, SHARED, {"s": rotated, "n": 1}))["data"]["favouriteList"] is None
    # Malformed or huge tokens: just no list, never an error.
    for bad in ("", "x" * 5000, "a" * 32):
        assert (await gql(client, SHARED, {"s": bad, "n": 1}))["data"]["favouriteList"] is None


async def test_hidden_archived_and_blocked_targets_disappear_for_the_reader(client):
    owner, restaurant, dish, host, host_id, meal_id, diner, diner_id = await saved_world(client)
    reader, reader_id, _ = await register(client, name="读者")
    listed = None
    for target in (restaurant, dish, meal_id):
        listed = ok(await gql(client, SAVE, {"t": target}, diner), "saveFavourite")["list"]["id"]
    token = ok(await gql(client, SHARE, {"l": listed}, diner), "shareFavouriteList")["shareToken"]

    async def kinds(token_of_reader):
        seen = (await gql(client, SHARED, {"s": token, "n": 10}, token_of_reader))["data"]["favouriteList"]
        if seen is None:
            return None
        found = sorted(e["node"]["kind"] for e in seen["items"]["edges"])
        assert seen["items"]["totalCount"] == len(found)
        return found

    assert await kinds(reader) == ["DISH", "RESTAURANT", "SHARED_MEAL"]
    # The reader blocks the meal's host: the meal goes for the reader only.
    assert ok(await gql(client, BLOCK, {"u": host_id}, reader), "blockUser") is not None
    assert await kinds(reader) == ["DISH", "RESTAURANT"]
    assert await kinds(None) == ["DISH", "RESTAURANT", "SHARED_MEAL"]
    # The dish is archived: gone for everyone.
    archived = await gql(
        client, "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }", {"d": dish}, owner
    )
    assert archived["data"]["archiveDish"]["errors"] == []
    assert await kinds(None) == ["RESTAURANT", "SHARED_MEAL"]
    # The owner blocks the reader: the link no longer opens for them (it still does for others).
    ok(await gql(client, BLOCK, {"u": reader_id}, diner), "blockUser")
    assert await kinds(reader) is None
    assert await kinds(None) == ["RESTAURANT", "SHARED_MEAL"]
    # Saving needs a target the saver may see.
    assert codes(await gql(client, SAVE, {"t": dish}, diner), "saveFavourite") == [("targetId", "NOT_FOUND")]


async def test_bad_input_is_a_user_error(client):
    _, restaurant, _, _, _, _, diner, diner_id = await saved_world(client)
    assert codes(await gql(client, CREATE, {"n": "  "}, diner), "createFavouriteList") == [
        ("name", "INVALID")
    ]
    assert codes(await gql(client, CREATE, {"n": "长" * 81}, diner), "createFavouriteList") == [
        ("name", "TOO_LONG")
    ]
    assert codes(await gql(client, CREATE, {"n": "a\u202eb"}, diner), "createFavouriteList") == [
        ("name", "INVALID")
    ]
    assert codes(await gql(client, SAVE, {"t": diner_id}, diner), "saveFavourite") == [
        ("targetId", "INVALID_ID")
    ]
    assert codes(await gql(client, SAVE, {"t": "garbage"}, diner), "saveFavourite") == [
        ("targetId", "INVALID_ID")
    ]
    assert codes(await gql(client, SAVE, {"t": restaurant, "l": restaurant}, diner), "saveFavourite") == [
        ("listId", "INVALID_ID")
    ]
    private_meal = {"restaurantId": restaurant, "title": "私局", "capacity": 3, "visibility": "FOLLOWERS"}
    private_meal["startsAt"] = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    made = ok(await gql(client, MEAL, {"i": private_meal}, diner), "createSharedMeal")["meal"]["id"]
    assert codes(await gql(client, SAVE, {"t": made}, diner), "saveFavourite") == [("targetId", "INVALID")]
    anonymous = await gql(client, SAVE, {"t": restaurant}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    mine = await gql(client, MINE, {"n": 1}, expect_errors=True)
    assert mine["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_concurrent_first_saves_share_one_default_list_and_one_item(client):
    import asyncio

    owner, restaurant, dish, _, _, meal_id, diner, _ = await saved_world(client)
    other_dish = await add_dish(client, owner, restaurant, name="鸭肠")
    targets = [restaurant, dish, meal_id, other_dish, restaurant, dish]
    saved = await asyncio.gather(*(gql(client, SAVE, {"t": t}, diner) for t in targets))
    payloads = [ok(body, "saveFavourite") for body in saved]
    assert len({p["list"]["id"] for p in payloads}) == 1
    assert payloads[0]["item"]["id"] == payloads[4]["item"]["id"]
    mine = (await gql(client, MINE, {"n": 10}, diner))["data"]["myFavouriteLists"]
    assert mine["totalCount"] == 1 and mine["edges"][0]["node"]["items"]["totalCount"] == 4
