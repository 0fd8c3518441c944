"""Search through the endpoint: CJK bigrams (2-character words), English prefixes, filters, sorts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from tests.helpers import add_dish, gql, open_restaurant, random_spot, register

RESTAURANTS = """
query($q: String!, $lat: Float, $lng: Float, $r: Float, $sort: SearchSort, $open: Boolean,
      $levels: [Int!], $deal: Boolean, $min: Float, $first: Int, $after: String, $cuisine: String) {
  searchRestaurants(query: $q, lat: $lat, lng: $lng, radiusKm: $r, sort: $sort, openNow: $open,
      priceLevels: $levels, hasLiveDeal: $deal, minRating: $min, first: $first, after: $after,
      cuisine: $cuisine) {
    edges { node { id name distanceKm } } pageInfo { hasNextPage endCursor } totalCount } }
"""
DISHES = """
query($q: String!, $lat: Float, $lng: Float, $r: Float, $sort: SearchSort, $max: Int) {
  searchDishes(query: $q, lat: $lat, lng: $lng, radiusKm: $r, sort: $sort, maxPriceCents: $max, first: 50) {
    edges { node { id name restaurant { id } } } pageInfo { hasNextPage } totalCount } }
"""
REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { errors { code } } }"
DEAL = "mutation($i: DealInput!) { createDeal(input: $i) { errors { field code message } } }"
UPDATE_DISH = "mutation($d: ID!, $i: DishUpdateInput!) { updateDish(dishId: $d, input: $i) { errors { code } } }"
ARCHIVE_DISH = "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }"
HOURS = (
    "mutation($r: ID!, $i: OpeningHoursInput!) { "
    "setOpeningHours(restaurantId: $r, input: $i) { errors { code } } }"
)


def east(lat: float, lng: float, km: float) -> tuple[float, float]:
    import math

    return lat, lng + km / (111.2 * math.cos(math.radians(lat)))


async def ids(client, document, name, **variables):
    body = await gql(client, document, variables)
    connection = body["data"][name]
    found = [e["node"]["id"] for e in connection["edges"]]
    if "after" not in variables:  # totalCount counts what the pages walk (every search here)
        more = connection["pageInfo"]["hasNextPage"]
        total = connection["totalCount"]
        assert total > len(found) if more else total == len(found), (variables, total, found)
    return found


async def test_two_character_chinese_words_and_english_prefixes(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    owner, hotpot = await open_restaurant(client, lat, lng, name="重庆老火锅 Spicy Pot")
    _, noodles = await open_restaurant(client, *east(lat, lng, 1), name="兰州拉面", cuisines=("noodles",))
    mapo = await add_dish(client, owner, hotpot, "麻婆豆腐", 2800)
    await add_dish(client, owner, hotpot, "毛肚", 3800)
    restaurants = "searchRestaurants"
    assert await ids(client, RESTAURANTS, restaurants, q="火锅", **here) == [hotpot]
    assert await ids(client, RESTAURANTS, restaurants, q="拉面", **here) == [noodles]
    assert await ids(client, RESTAURANTS, restaurants, q="spic", **here) == [hotpot]  # prefix
    assert await ids(client, RESTAURANTS, restaurants, q="ＳＰＩＣＹ", **here) == [hotpot]  # full width
    assert await ids(client, RESTAURANTS, restaurants, q="麻婆", **here) == [hotpot]  # by a dish
    assert await ids(client, RESTAURANTS, restaurants, q="火锅 拉面", **here) == []  # every word
    assert await ids(client, DISHES, "searchDishes", q="麻婆", **here) == [mapo]
    assert await ids(client, DISHES, "searchDishes", q="老火锅 豆腐", **here) == [mapo]  # restaurant name
    assert await ids(client, DISHES, "searchDishes", q="豆", **here) == [mapo]  # one character


async def test_the_index_follows_menu_changes(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 2.0}
    word = f"x{uuid.uuid4().hex[:8]}"
    owner, rid = await open_restaurant(client, lat, lng, name="川味小馆")
    dish = await add_dish(client, owner, rid, f"水煮鱼 {word}", 4800)
    assert await ids(client, DISHES, "searchDishes", q=word) == [dish]
    await gql(client, UPDATE_DISH, {"d": dish, "i": {"name": "酸菜鱼"}}, owner)
    assert await ids(client, DISHES, "searchDishes", q=word) == []
    assert await ids(client, DISHES, "searchDishes", q="酸菜", **here) == [dish]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="酸菜", **here) == [rid]
    await gql(client, ARCHIVE_DISH, {"d": dish}, owner)
    assert await ids(client, DISHES, "searchDishes", q="酸菜", **here) == []
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="酸菜", **here) == []


async def test_filters_and_sorts(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 5.0}
    owner_a, near = await open_restaurant(client, lat, lng, name="烧烤 近")
    owner_b, far = await open_restaurant(client, *east(lat, lng, 3), name="烧烤 远")
    _, outside = await open_restaurant(client, *east(lat, lng, 8), name="烧烤 外")
    cheap = await add_dish(client, owner_a, near, "羊肉串", 1500)  # level 1
    dear = await add_dish(client, owner_b, far, "和牛", 30000)  # level 4
    diner, _, _ = await register(client)
    other, _, _ = await register(client)
    for token, dish, rating in ((diner, cheap, 2), (diner, dear, 5), (other, dear, 5)):
        body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": rating, "body": "好吃"}}, token)
        assert body["data"]["createReview"]["errors"] == []
    find = "searchRestaurants"
    assert await ids(client, RESTAURANTS, find, q="烧烤", sort="DISTANCE", **here) == [near, far]
    assert outside not in await ids(client, RESTAURANTS, find, q="烧烤", **here)
    assert await ids(client, RESTAURANTS, find, q="烧烤", sort="RATING", **here) == [far, near]
    assert await ids(client, RESTAURANTS, find, q="烧烤", sort="POPULARITY", **here) == [far, near]
    assert await ids(client, RESTAURANTS, find, q="烧烤", min=4.0, **here) == [far]
    assert await ids(client, RESTAURANTS, find, q="烧烤", levels=[1, 2], **here) == [near]
    assert await ids(client, DISHES, "searchDishes", q="烧烤", max=2000, **here) == [cheap]
    body = await gql(client, RESTAURANTS, {"q": "烧烤", "sort": "DISTANCE", **here})
    assert [e["node"]["distanceKm"] for e in body["data"][find]["edges"]][0] < 0.1
    assert await ids(client, RESTAURANTS, find, q="烧烤", deal=True, **here) == []
    now = datetime.now(UTC)
    deal = {
        "restaurantId": far, "title": "双人套餐", "priceCents": 0, "originalPriceCents": 9900,
        "quantity": 5, "perUserLimit": 1, "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "endsAt": (now + timedelta(days=1)).isoformat(),
    }  # fmt: skip
    assert (await gql(client, DEAL, {"i": deal}, owner_b))["data"]["createDeal"]["errors"] == []
    assert await ids(client, RESTAURANTS, find, q="烧烤", deal=True, **here) == [far]


async def test_relevance_puts_name_matches_first_and_pages(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    owner, by_dish = await open_restaurant(client, lat, lng, name="家常菜馆")
    await add_dish(client, owner, by_dish, "酸辣粉", 1200)
    _, by_name = await open_restaurant(client, lat, lng, name="重庆酸辣粉")
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="酸辣粉", **here) == [by_name, by_dish]
    first = await gql(client, RESTAURANTS, {"q": "酸辣粉", "first": 1, **here})
    page = first["data"]["searchRestaurants"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await ids(client, RESTAURANTS, "searchRestaurants", q="酸辣粉", after=page["pageInfo"]["endCursor"], **here)
    assert second == [by_dish]


async def test_bad_search_input_is_a_user_error(client):
    for query in ("", "   ", "x" * 201, "火锅\u0000", "火\u202e锅"):  # "!!": nothing found, no error
        body = await gql(client, RESTAURANTS, {"q": query}, expect_errors=True)
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (query, body)
        body = await gql(client, DISHES, {"q": query}, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (query, body)
    bad = [{"q": "火锅", "sort": "DISTANCE"}, {"q": "火锅", "lat": 1.0}, {"q": "火锅", "min": 9.0},
           {"q": "火锅", "levels": [7]}, {"q": "火锅", "after": "bm9wZQ"},
           {"q": "火锅", "r": 3.0}]  # fmt: skip
    for variables in bad:
        body = await gql(client, RESTAURANTS, variables, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (variables, body)


async def test_a_point_without_a_radius_ranks_across_the_city_and_shows_distances(client):
    """A diner searching 火锅 from where they stand expects every match, each with its distance,
    not only those within an unstated 5 km; a radius (or nearest-first) narrows it on request."""
    lat, lng = random_spot()
    word = f"zq{uuid.uuid4().hex[:8]}"
    _, close = await open_restaurant(client, lat, lng, name=f"巷子火锅 {word}")
    _, far = await open_restaurant(client, *east(lat, lng, 20), name=f"江边火锅 {word}")
    here = {"q": word, "lat": lat, "lng": lng}
    body = await gql(client, RESTAURANTS, here)
    found = {e["node"]["id"]: e["node"]["distanceKm"] for e in body["data"]["searchRestaurants"]["edges"]}
    assert set(found) == {close, far}
    assert found[close] < 0.1 and 19.5 < found[far] < 20.5
    assert await ids(client, RESTAURANTS, "searchRestaurants", **here, r=5.0) == [close]
    assert await ids(client, RESTAURANTS, "searchRestaurants", **here, sort="DISTANCE") == [close, far]
    anywhere = await gql(client, RESTAURANTS, {"q": word})
    assert {e["node"]["distanceKm"] for e in anywhere["data"]["searchRestaurants"]["edges"]} == {None}


UPDATE_REVIEW = "mutation($r: ID!, $i: ReviewUpdateInput!) { updateReview(reviewId: $r, input: $i) { errors { code } } }"
PAGE_RATING = "query($id: ID!) { restaurant(id: $id) { ratingSummary { averageRating reviewCount } } }"


async def test_rating_sorts_follow_the_restaurant_page_and_review_changes(client):
    """Rating and popularity are the restaurant page's own counters (kept on the search document
    by the statements that move them): a review edit moves the rating, and reviews of a dish since
    taken off the menu still count, as they do on the page."""
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    word = f"q{uuid.uuid4().hex[:8]}"
    owner, first = await open_restaurant(client, lat, lng, name=f"串串 {word}")
    other_owner, second = await open_restaurant(client, *east(lat, lng, 1), name=f"串串 {word}")
    gone = await add_dish(client, owner, first, "兔头", 2000)
    kept = await add_dish(client, other_owner, second, "冒菜", 2000)
    diner, _, _ = await register(client)
    made = {}
    for dish, rating in ((gone, 3), (kept, 4)):
        body = await gql(client, REVIEW.replace("errors { code }", "review { id } errors { code }"),
                         {"i": {"dishId": dish, "rating": rating, "body": "好吃"}}, diner)  # fmt: skip
        made[dish] = body["data"]["createReview"]["review"]["id"]
    find = "searchRestaurants"
    assert await ids(client, RESTAURANTS, find, q=word, sort="RATING", **here) == [second, first]
    await gql(client, ARCHIVE_DISH, {"d": gone}, owner)
    page = (await gql(client, PAGE_RATING, {"id": first}))["data"]["restaurant"]["ratingSummary"]
    assert page == {"averageRating": 3.0, "reviewCount": 1}
    assert await ids(client, RESTAURANTS, find, q=word, min=2.5, **here) == [second, first]
    body = await gql(client, UPDATE_REVIEW, {"r": made[kept], "i": {"rating": 1}}, diner)
    assert body["data"]["updateReview"]["errors"] == []
    assert await ids(client, RESTAURANTS, find, q=word, sort="RATING", **here) == [first, second]
    assert await ids(client, RESTAURANTS, find, q=word, min=2.0, **here) == [first]


async def test_the_capped_index_walk_falls_back_to_the_exact_read(client, monkeypatch):
    """With a cap of one document the capped read always comes up short: the fallback alone must
    give the same pages, sorts and filters (PostgreSQL; SQLite always reads exactly)."""
    from resolvers.search import search

    monkeypatch.setattr(search, "SCAN_CAP", 1)
    await test_filters_and_sorts(client)
    await test_relevance_puts_name_matches_first_and_pages(client)
    await test_rating_sorts_follow_the_restaurant_page_and_review_changes(client)


async def test_words_written_together_match_where_they_are_apart(client):
    """Diners type 重庆火锅 with no space: its bigram 庆火 spans two words and is in no document.
    When nothing holds every token, the run is cut into 2- and 3-character pieces (重庆|火锅,
    海底捞|火锅) and each piece is still required; a strict match, when there is one, stays the
    whole answer; the relaxed search pages and counts as itself."""
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    find = "searchRestaurants"
    owner, old_pot = await open_restaurant(client, lat, lng, name="重庆老火锅", cuisines=("sichuan",))
    _, brand = await open_restaurant(client, *east(lat, lng, 0.5), name="海底捞", cuisines=("hotpot",))
    _, chicken = await open_restaurant(client, *east(lat, lng, 1), name="重庆鸡公煲", cuisines=("hotpot",))
    await open_restaurant(client, *east(lat, lng, 1.5), name="重庆小面", cuisines=("noodles",))
    await open_restaurant(client, *east(lat, lng, 2), name="成都串串香", cuisines=("street_food",))
    stew = await add_dish(client, owner, old_pot, "毛血旺", 5800)
    # Name matches first (重庆老火锅), then 重庆鸡公煲 (火锅 from its cuisine); 重庆小面 lacks 火锅.
    assert await ids(client, RESTAURANTS, find, q="重庆火锅", **here) == [old_pot, chicken]
    assert await ids(client, RESTAURANTS, find, q="海底捞火锅", **here) == [brand]  # 海底捞|火锅
    assert await ids(client, RESTAURANTS, find, q="重庆老火锅", **here) == [old_pot]  # strict
    assert await ids(client, RESTAURANTS, find, q="成都火锅", **here) == []  # every piece required
    assert await ids(client, DISHES, "searchDishes", q="重庆毛血旺", **here) == [stew]
    first = (await gql(client, RESTAURANTS, {"q": "重庆火锅", "first": 1, **here}))["data"][find]
    assert [e["node"]["id"] for e in first["edges"]] == [old_pot]
    assert first["pageInfo"]["hasNextPage"] is True and first["totalCount"] == 2
    after = first["pageInfo"]["endCursor"]
    assert await ids(client, RESTAURANTS, find, q="重庆火锅", after=after, **here) == [chicken]
    # Once a document holds every token, the strict answer is the whole answer again.
    _, exact = await open_restaurant(client, *east(lat, lng, 2.5), name="重庆火锅城", cuisines=("hotpot",))
    assert await ids(client, RESTAURANTS, find, q="重庆火锅", **here) == [exact]


async def test_a_cuisine_by_tag_or_chinese_label(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    find = "searchRestaurants"
    _, hotpot = await open_restaurant(client, lat, lng, name="小龙坎", cuisines=("hotpot", "sichuan"))
    _, sichuan = await open_restaurant(client, *east(lat, lng, 1), name="陈麻婆豆腐", cuisines=("sichuan",))
    _, dim_sum = await open_restaurant(client, *east(lat, lng, 2), name="点都德", cuisines=("dim_sum",))
    for cuisine in ("hotpot", "火锅", " Hotpot ", "ＨＯＴＰＯＴ"):
        assert await ids(client, RESTAURANTS, find, q="", cuisine=cuisine, **here) == [hotpot], cuisine
    assert await ids(client, RESTAURANTS, find, q="", cuisine="川菜", **here) == [sichuan, hotpot]
    assert await ids(client, RESTAURANTS, find, q="豆腐", cuisine="川菜", **here) == [sichuan]
    for cuisine in ("dim_sum", "dim sum", "早茶点心"):
        assert await ids(client, RESTAURANTS, find, q="", cuisine=cuisine, **here) == [dim_sum], cuisine
    assert await ids(client, RESTAURANTS, find, q="小龙坎", cuisine="", **here) == [hotpot]  # none asked
    for cuisine in ("麻辣", "martian", "hot%", "%", "dim"):
        body = await gql(client, RESTAURANTS, {"q": "", "cuisine": cuisine, **here}, expect_errors=True)
        error = body["errors"][0]["extensions"]
        assert error["code"] == "BAD_USER_INPUT", (cuisine, body)
        assert (error["reason"], error["field"]) == ("UNKNOWN_TAG", "cuisine"), cuisine


async def test_total_count_is_the_matches_up_to_a_thousand(client, monkeypatch):
    """totalCount counts the search's matches with its filters (not just the page), run only when
    selected; it stops at COUNT_CAP (1000)."""
    from resolvers.search import search

    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    find = "searchRestaurants"
    word = f"tc{uuid.uuid4().hex[:8]}"
    owner, first = await open_restaurant(client, lat, lng, name=f"{word} 一号")
    for n in range(3):
        await add_dish(client, owner, first, f"{word} 菜{n}", 1000 + n)
    _, second = await open_restaurant(client, *east(lat, lng, 1), name=f"{word} 二号")
    page = await gql(client, RESTAURANTS, {"q": word, "first": 1, **here})
    assert page["data"][find]["totalCount"] == 2
    page = await gql(client, DISHES, {"q": word})
    assert page["data"]["searchDishes"]["totalCount"] == 3
    body = await gql(client, RESTAURANTS, {"q": word, "lat": lat, "lng": lng, "r": 0.5})
    assert body["data"][find]["totalCount"] == 1
    assert await ids(client, RESTAURANTS, find, q=word, sort="DISTANCE", **here) == [first, second]
    week = [{"weekday": d, "opens": "00:00", "closes": "24:00"} for d in range(7)]
    body = await gql(client, HOURS, {"r": first, "i": {"weekly": week}}, owner)
    assert body["data"]["setOpeningHours"]["errors"] == []
    assert await ids(client, RESTAURANTS, find, q=word, open=True, **here) == [first]  # counts 1 too
    monkeypatch.setattr(search, "COUNT_CAP", 2)
    page = await gql(client, DISHES, {"q": word})
    assert page["data"]["searchDishes"]["totalCount"] == 2

    async def no_count(*args):
        raise AssertionError("counted though totalCount was not selected")

    monkeypatch.setattr(search, "_count", no_count)
    bare = "query($q: String!) { searchDishes(query: $q) { edges { node { id } } } }"
    body = await gql(client, bare, {"q": word})
    assert len(body["data"]["searchDishes"]["edges"]) == 3


async def test_symbols_alone_find_nothing_and_a_traditional_cuisine_label_is_its_cuisine(client):
    """🌶️ or % alone was an error toast ("Give a search word"); near a place it listed
    everything around. A zh-Hant app filtering by the label it shows (火鍋) got UNKNOWN_TAG."""
    lat, lng = random_spot()
    name = f"老码头火锅{uuid.uuid4().hex[:4]}"
    _, restaurant = await open_restaurant(client, lat, lng, name=name, cuisines=["hotpot"])
    for typed in ("🌶️", "%", "！？"):
        for place in ({}, {"lat": lat, "lng": lng}):
            found = (await gql(client, RESTAURANTS, {"q": typed, **place}))["data"]["searchRestaurants"]
            assert (found["edges"], found["totalCount"]) == ([], 0), (typed, place)
        dishes = (await gql(client, DISHES, {"q": typed}))["data"]["searchDishes"]
        assert dishes["edges"] == []
    for label in ("火鍋", "火锅", "hotpot"):
        near = {"q": "", "lat": lat, "lng": lng, "r": 1, "cuisine": label}
        found = (await gql(client, RESTAURANTS, near))["data"]["searchRestaurants"]["edges"]
        assert restaurant in [e["node"]["id"] for e in found], label
