"""Restaurants and dishes: ownership, staff, nearby, CJK search, through the endpoint."""

from __future__ import annotations

from tests.helpers import (
    ADD_DISH,
    CREATE_RESTAURANT,
    accept_staff,
    add_dish,
    gql,
    open_restaurant,
    random_spot,
    register,
)

NEARBY = """
query($lat: Float!, $lng: Float!, $r: Float, $first: Int, $after: String) {
  restaurantsNearby(lat: $lat, lng: $lng, radiusKm: $r, first: $first, after: $after) {
    edges { node { id name distanceKm } } pageInfo { hasNextPage endCursor }
  }
}
"""
SEARCH = """
query($q: String!, $c: String) { searchRestaurants(query: $q, cuisine: $c, first: 50) { edges { node { id name } } } }
"""
RESTAURANT = """
query($id: ID!) { restaurant(id: $id) { id name cuisines myRole
  dishes { edges { node { id name priceCents currency averageRating reviewCount restaurant { id } } } } } }
"""
STAFF = "query($id: ID!) { restaurant(id: $id) { staff { role user { id } } } }"
ADD_STAFF = """
mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code field } } }
"""
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
UPDATE_DISH = "mutation($d: ID!, $i: DishUpdateInput!) { updateDish(dishId: $d, input: $i) { dish { priceCents } errors { code } } }"


def east(lat: float, lng: float, km: float) -> tuple[float, float]:
    import math

    return lat, lng + km / (111.2 * math.cos(math.radians(lat)))


async def test_owner_creates_restaurant_and_menu(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng, name="老王烧烤", cuisines=("bbq",))
    dish = await add_dish(client, owner, rid, "羊肉串", 1200)
    body = await gql(client, RESTAURANT, {"id": rid}, owner)
    restaurant = body["data"]["restaurant"]
    assert restaurant["name"] == "老王烧烤" and restaurant["myRole"] == "OWNER"
    node = restaurant["dishes"]["edges"][0]["node"]
    assert node == {
        "id": dish,
        "name": "羊肉串",
        "priceCents": 1200,
        "currency": "CNY",
        "averageRating": None,
        "reviewCount": 0,
        "restaurant": {"id": rid},
    }
    anonymous = await gql(client, RESTAURANT, {"id": rid})
    assert anonymous["data"]["restaurant"]["myRole"] is None


async def test_cuisines_by_chinese_label(client):
    owner, rid = await open_restaurant(client, *random_spot(), name="老码头", cuisines=("火锅", "川菜", "hotpot"))
    body = await gql(client, RESTAURANT, {"id": rid}, owner)
    assert body["data"]["restaurant"]["cuisines"] == ["hotpot", "sichuan"]


async def test_diners_cannot_open_restaurants_and_input_is_validated(client):
    diner, _, _ = await register(client)
    body = await gql(client, CREATE_RESTAURANT, {"i": {"name": "X", "lat": 1, "lng": 1}}, diner)
    assert body["data"]["createRestaurant"]["errors"][0]["code"] == "FORBIDDEN"
    owner, _, _ = await register(client, account_type="RESTAURANT")
    bad = {"name": " ", "lat": 91, "lng": 0, "cuisines": ["martian"]}
    errors = (await gql(client, CREATE_RESTAURANT, {"i": bad}, owner))["data"]["createRestaurant"]["errors"]
    assert {e["field"] for e in errors} == {"name", "lat", "cuisines"}
    anonymous = await gql(
        client, CREATE_RESTAURANT, {"i": {"name": "X", "lat": 1, "lng": 1}}, expect_errors=True
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_staff_manage_dishes_others_cannot(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng)
    staff, staff_id, staff_email = await register(client, name="服务员")
    stranger, _, _ = await register(client, account_type="RESTAURANT")
    assert (await gql(client, ADD_STAFF, {"r": rid, "e": staff_email}, owner))["data"]["addRestaurantStaff"][
        "errors"
    ] == []
    again = await gql(client, ADD_STAFF, {"r": rid, "e": staff_email}, owner)
    assert again["data"]["addRestaurantStaff"]["errors"][0]["code"] == "DUPLICATE"
    await accept_staff(client, rid, staff)
    by_staff = await gql(client, ADD_STAFF, {"r": rid, "e": "x@example.com"}, staff)
    assert by_staff["data"]["addRestaurantStaff"]["errors"][0]["code"] == "FORBIDDEN"
    dish = await add_dish(client, staff, rid)
    denied = await gql(client, ADD_DISH, {"r": rid, "i": {"name": "假菜", "priceCents": 1}}, stranger)
    assert denied["data"]["addDish"]["errors"][0]["code"] == "FORBIDDEN"
    negative = await gql(client, ADD_DISH, {"r": rid, "i": {"name": "菜", "priceCents": -5}}, owner)
    assert negative["data"]["addDish"]["errors"][0]["field"] == "priceCents"
    moved = await gql(client, UPDATE_DISH, {"d": dish, "i": {"priceCents": 4200}}, stranger)
    assert moved["data"]["updateDish"]["errors"][0]["code"] == "FORBIDDEN"
    moved = await gql(client, UPDATE_DISH, {"d": dish, "i": {"priceCents": 4200}}, staff)
    assert moved["data"]["updateDish"]["dish"]["priceCents"] == 4200
    staff_list = (await gql(client, STAFF, {"id": rid}, owner))["data"]["restaurant"]["staff"]
    assert sorted(s["role"] for s in staff_list) == ["OWNER", "STAFF"]
    hidden = await gql(client, STAFF, {"id": rid}, stranger, expect_errors=True)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_nearby_is_nearest_first_with_distance_and_pages(client):
    lat, lng = random_spot()
    owner, _, _ = await register(client, account_type="RESTAURANT")
    ids = []
    for km in (2.5, 0.5, 1.5, 8):
        _, rid = await open_restaurant(client, *east(lat, lng, km), name=f"店{km}", owner_token=owner)
        ids.append((km, rid))
    seen, after = [], None
    while True:
        body = await gql(client, NEARBY, {"lat": lat, "lng": lng, "r": 3, "first": 2, "after": after})
        conn = body["data"]["restaurantsNearby"]
        seen += [(e["node"]["id"], e["node"]["distanceKm"]) for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert [rid for rid, _ in seen] == [rid for km, rid in sorted(ids) if km <= 3]
    assert [round(d, 1) for _, d in seen] == [0.5, 1.5, 2.5]
    # Archived restaurants leave nearby.
    await gql(client, ARCHIVE, {"r": ids[1][1]}, owner)
    body = await gql(client, NEARBY, {"lat": lat, "lng": lng, "r": 3})
    assert ids[1][1] not in [e["node"]["id"] for e in body["data"]["restaurantsNearby"]["edges"]]


async def test_chinese_two_character_words_match(client):
    lat, lng = random_spot()
    tag = f"味{lat:.4f}"
    _, hotpot = await open_restaurant(client, lat, lng, name=f"重庆火锅{tag}", cuisines=("hotpot",))
    _, noodles = await open_restaurant(client, lat, lng, name=f"兰州拉面{tag}", cuisines=("noodles",))
    found = await gql(client, SEARCH, {"q": f"火锅 {tag}"})
    assert [e["node"]["id"] for e in found["data"]["searchRestaurants"]["edges"]] == [hotpot]
    found = await gql(client, SEARCH, {"q": tag, "c": "noodles"})
    assert [e["node"]["id"] for e in found["data"]["searchRestaurants"]["edges"]] == [noodles]
    english = await gql(client, SEARCH, {"q": f"{tag} HOTPOT"})
    assert [e["node"]["id"] for e in english["data"]["searchRestaurants"]["edges"]] == [hotpot]


async def test_one_dish_per_name_on_a_menu(client):
    """鲜毛肚 listed three times would split its reviews: the same name (width, case and spacing
    aside) is DUPLICATE, in parallel too; archived dishes free their name; other menus are apart."""
    import asyncio

    owner, rid = await open_restaurant(client, *random_spot())
    _, elsewhere = await open_restaurant(client, *random_spot())
    add = "mutation($r: ID!, $i: DishInput!) { addDish(restaurantId: $r, input: $i) { dish { id } errors { field code } } }"
    tries = await asyncio.gather(
        *(gql(client, add, {"r": rid, "i": {"name": "鲜毛肚", "priceCents": 3800}}, owner) for _ in range(5))
    )
    made = [t["data"]["addDish"] for t in tries if t["data"]["addDish"]["dish"]]
    refused = [t["data"]["addDish"]["errors"] for t in tries if not t["data"]["addDish"]["dish"]]
    assert len(made) == 1 and refused == [[{"field": "name", "code": "DUPLICATE"}]] * 4
    for look_alike in ("鲜毛肚 ", "ＳＰＩＣＹ Beef", "spicy  beef", "Spicy Beef"):
        await gql(client, add, {"r": rid, "i": {"name": look_alike, "priceCents": 100}}, owner)
    body = (await gql(client, RESTAURANT, {"id": rid}))["data"]["restaurant"]["dishes"]["edges"]
    assert sorted(e["node"]["name"] for e in body) == sorted(["ＳＰＩＣＹ Beef", "鲜毛肚"])
    other = await gql(client, add, {"r": elsewhere, "i": {"name": "鲜毛肚", "priceCents": 3800}}, owner)
    assert other["data"]["addDish"]["errors"] in ([], [{"field": "restaurantId", "code": "FORBIDDEN"}])
    beef = next(e["node"]["id"] for e in body if e["node"]["name"] == "ＳＰＩＣＹ Beef")
    renamed = await gql(client, UPDATE_DISH, {"d": beef, "i": {"name": "鲜毛肚"}}, owner)
    assert renamed["data"]["updateDish"]["errors"] == [{"code": "DUPLICATE"}]
    kept = await gql(client, UPDATE_DISH, {"d": beef, "i": {"name": "Spicy Beef", "priceCents": 900}}, owner)
    assert kept["data"]["updateDish"]["errors"] == []  # its own name, respelled
    tripe = next(e["node"]["id"] for e in body if e["node"]["name"] == "鲜毛肚")
    await gql(client, "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }", {"d": tripe}, owner)
    again = await gql(client, add, {"r": rid, "i": {"name": "鲜毛肚", "priceCents": 4200}}, owner)
    assert again["data"]["addDish"]["errors"] == []
