"""搜索联想: cuisines, restaurants by name and distinct dish names as the diner types."""

from __future__ import annotations

from tests.helpers import add_dish, gql, open_restaurant, random_spot

SUGGEST = """query($q: String!, $lat: Float, $lng: Float, $first: Int) {
  searchSuggestions(query: $q, lat: $lat, lng: $lng, first: $first) {
    kind text cuisine restaurant { id name } } }"""
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"


async def suggest(client, query, **variables):
    body = await gql(client, SUGGEST, {"q": query, **variables})
    return [(s["kind"], s["text"]) for s in body["data"]["searchSuggestions"]], body


async def test_suggestions_as_a_diner_types_in_chinese_pinyin_or_english(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng}
    owner, chunxi = await open_restaurant(client, lat, lng, name="海底捞火锅 春熙路店")
    _, taikoo = await open_restaurant(client, lat + 0.01, lng, name="海底捞火锅 太古里店", owner_token=owner)
    other_owner, sichuan = await open_restaurant(client, lat, lng + 0.01, name="陈麻婆豆腐")
    await add_dish(client, owner, chunxi, "麻婆豆腐", 2800)
    await add_dish(client, other_owner, sichuan, "麻婆豆腐", 2600)
    await add_dish(client, other_owner, sichuan, "麻辣兔头", 3200)

    found, body = await suggest(client, "hdl", **here)
    assert found == [
        ("RESTAURANT", "海底捞火锅 春熙路店"),
        ("RESTAURANT", "海底捞火锅 太古里店"),
    ] or found == [
        ("RESTAURANT", "海底捞火锅 太古里店"),
        ("RESTAURANT", "海底捞火锅 春熙路店"),
    ]
    assert {s["restaurant"]["id"] for s in body["data"]["searchSuggestions"]} == {chunxi, taikoo}
    found, body = await suggest(client, "火鍋", **here)  # traditional characters
    assert found[0] == ("CUISINE", "火锅") and body["data"]["searchSuggestions"][0]["cuisine"] == "hotpot"
    assert {text for kind, text in found if kind == "RESTAURANT"} == {
        "海底捞火锅 春熙路店",
        "海底捞火锅 太古里店",
    }
    found, _ = await suggest(client, "mpdf", **here)
    assert found == [("RESTAURANT", "陈麻婆豆腐"), ("DISH", "麻婆豆腐")]  # the dish once, however many menus
    found, _ = await suggest(client, "麻", **here)
    assert ("RESTAURANT", "陈麻婆豆腐") in found and ("DISH", "麻辣兔头") in found
    assert found.count(("DISH", "麻婆豆腐")) == 1
    found, _ = await suggest(client, "hg", **here)  # 火锅 inside the names
    assert found[0] == ("CUISINE", "火锅") and ("RESTAURANT", "海底捞火锅 春熙路店") in found
    found, _ = await suggest(client, "hotp", **here)
    assert found[0] == ("CUISINE", "火锅")
    assert (await suggest(client, "麻", first=2, **here))[0].__len__() == 2

    assert (await gql(client, ARCHIVE, {"r": taikoo}, owner))["data"]["archiveRestaurant"]["errors"] == []
    found, _ = await suggest(client, "hdl", **here)
    assert found == [("RESTAURANT", "海底捞火锅 春熙路店")]


async def test_nothing_to_suggest_yet_is_an_empty_list_and_bad_input_an_error(client):
    for typed in ("", " ", "h", "!!"):
        found, _ = await suggest(client, typed)
        assert found == [], typed
    for variables in ({"q": "x" * 201}, {"q": "火\u202e锅"}, {"q": "火锅", "first": 0}, {"q": "火锅", "first": 21},
                      {"q": "火锅", "lat": 91.0, "lng": 0.0}):  # fmt: skip
        body = await gql(client, SUGGEST, variables, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", (variables, body)


async def test_suggestions_cost_a_few_statements(client):
    """Per kind: the search statement (PostgreSQL: and the exact read when a rare word comes up
    short of the capped one) and one read of the names; the radius looked up once, first."""
    from tests.conftest import count_sql

    lat, lng = random_spot()
    owner, place = await open_restaurant(client, lat, lng, name="老码头火锅")
    await add_dish(client, owner, place, "老码头毛肚", 4800)
    for variables in ({"lat": lat, "lng": lng}, {}):
        with count_sql() as sql:
            found, _ = await suggest(client, "lmt", **variables)
        assert ("RESTAURANT", "老码头火锅") in found and ("DISH", "老码头毛肚") in found
        reads = [s for s in sql.statements if s.lstrip().upper().startswith("SELECT")]
        searches = [i for i, s in enumerate(reads) if "search_docs" in s]
        geo = [i for i, s in enumerate(reads) if "geo_" in s and "search_docs" not in s]
        assert 2 <= len(searches) <= 4, reads
        assert len(reads) - len(searches) - len(geo) == 2, reads  # the restaurants, the dish names
        assert all(i < searches[0] for i in geo) and bool(geo) == bool(variables), reads
