"""Search as Chinese diners type: traditional characters and pinyin (full, spaced or initials)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tortoise import connections

from models.search_tokens import index_tokens, query_tokens
from schema.ids import decode
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.test_search import DISHES, RESTAURANTS, ids

UPDATE_RESTAURANT = (
    "mutation($r: ID!, $i: RestaurantUpdateInput!) { updateRestaurant(restaurantId: $r, input: $i) "
    "{ errors { code } } }"
)


async def test_traditional_characters_find_simplified_names_and_back(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    owner, hotpot = await open_restaurant(client, lat, lng, name="小龙坎火锅")
    _, taiwanese = await open_restaurant(client, lat, lng + 0.01, name="鼎泰豐", cuisines=("dumplings",))
    dumplings = await add_dish(client, owner, hotpot, "蝦餃", 3200)
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="火鍋", **here) == [hotpot]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="鼎泰丰", **here) == [taiwanese]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="鼎泰豐", **here) == [taiwanese]
    assert await ids(client, DISHES, "searchDishes", q="虾饺", **here) == [dumplings]


async def test_pinyin_whole_spaced_and_initials_find_names(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    owner, haidilao = await open_restaurant(client, lat, lng, name="海底捞")
    _, noodles = await open_restaurant(client, lat, lng + 0.01, name="兰州拉面", cuisines=("noodles",))
    mapo = await add_dish(client, owner, haidilao, "麻婆豆腐", 2800)
    for typed in ("hdl", "HDL", "haidilao", "hai di lao", "haidi", "ｈｄｌ"):
        assert await ids(client, RESTAURANTS, "searchRestaurants", q=typed, **here) == [haidilao], typed
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="lzlm", **here) == [noodles]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="lanzhou", **here) == [noodles]
    for typed in ("lamian", "lm", "zhoula"):  # any stretch of the name: 拉面, 州拉
        assert await ids(client, RESTAURANTS, "searchRestaurants", q=typed, **here) == [noodles], typed
    assert await ids(client, DISHES, "searchDishes", q="mpdf", **here) == [mapo]
    assert await ids(client, DISHES, "searchDishes", q="mapo hdl", **here) == [mapo]  # with its restaurant
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="hdlz", **here) == []


async def test_names_with_two_readings_are_found_by_the_right_one(client):
    """重 is most often zhòng, but 重庆 is Chongqing; 长沙 is Changsha, 厦门 Xiamen."""
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    _, chongqing = await open_restaurant(client, lat, lng, name="重庆小面")
    _, changsha = await open_restaurant(client, lat, lng + 0.01, name="长沙臭豆腐")
    _, xiamen = await open_restaurant(client, lat, lng + 0.02, name="厦门沙茶面")
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="cqxm", **here) == [chongqing]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="chongqing", **here) == [chongqing]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="changsha", **here) == [changsha]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="xiamen", **here) == [xiamen]


async def test_a_renamed_restaurant_is_found_by_its_new_pinyin_only(client):
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    owner, rid = await open_restaurant(client, lat, lng, name="老码头火锅")
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="lmt", **here) == [rid]
    body = await gql(client, UPDATE_RESTAURANT, {"r": rid, "i": {"name": "大龙燚火锅"}}, owner)
    assert body["data"]["updateRestaurant"]["errors"] == []
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="lmt", **here) == []
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="dly", **here) == [rid]


async def test_documents_written_before_are_tokenized_again_by_the_migration(client):
    """Migration search.0003 rewrites every document with the tokenizer of now."""
    import importlib

    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 3.0}
    _, rid = await open_restaurant(client, lat, lng, name="陶陶居")
    connection = connections.get("default")
    postgres = connection.capabilities.dialect == "postgres"
    mark = "$1" if postgres else "?"
    # As the tokenizer before wrote it: no pinyin.
    await connection.execute_query(
        f"UPDATE search_docs SET name_tokens = '陶 陶 居 陶陶 陶居', tokens = '陶 陶 居 陶陶 陶居' "
        f"WHERE kind = 'restaurant' AND object_id = {mark}",
        [decode(rid, "Restaurant", "id")],
    )
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="ttj", **here) == []
    migration = importlib.import_module("models.migrations.search.0003_traditional_and_pinyin")
    editor = type("Editor", (), {"client": connection})()
    await migration.retokenize(None, editor)
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="ttj", **here) == [rid]
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="陶陶居", **here) == [rid]


texts = st.text(
    alphabet=st.sampled_from(list("火鍋锅鼎泰豐丰重庆长沙海底捞 abcSPICY１２ＡＢ蝦虾餃饺")),
    min_size=1,
    max_size=24,
)


@settings(max_examples=200, deadline=None)
@given(texts)
def test_every_query_token_of_a_text_is_among_its_index_tokens(text):
    """What a name indexes always finds it when typed again, spelled in either script."""
    for pinyin in (False, True):
        assert set(query_tokens(text)) <= set(index_tokens(text, pinyin=pinyin))
    simplified = text.translate(str.maketrans("鍋豐蝦餃", "锅丰虾饺"))
    assert query_tokens(text) == query_tokens(simplified)


async def test_browsing_around_a_place_without_a_word(client):
    """附近美食: no word and no cuisine, only where the diner stands, sorted and filtered."""
    from tests.test_search import REVIEW, east

    lat, lng = random_spot()
    owner_a, near = await open_restaurant(client, lat, lng, name="巷子里的面馆", cuisines=("noodles",))
    owner_b, further = await open_restaurant(client, *east(lat, lng, 2), name="烤鱼坊")
    _, outside = await open_restaurant(client, *east(lat, lng, 4), name="城外小馆")  # past 3 km
    dishes = [
        await add_dish(client, owner_a, near, "牛肉面", 1800),
        await add_dish(client, owner_b, further, "烤鱼", 12800),
    ]
    diner, _, _ = await register(client)
    for dish, rating in zip(dishes, (3, 5), strict=True):
        body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": rating, "body": "好吃"}}, diner)
        assert body["data"]["createReview"]["errors"] == []
    here = {"q": "", "lat": lat, "lng": lng}
    assert await ids(client, RESTAURANTS, "searchRestaurants", sort="RATING", **here) == [further, near]
    assert await ids(client, RESTAURANTS, "searchRestaurants", sort="DISTANCE", r=5.0, **here) == [
        near,
        further,
        outside,
    ]
    assert await ids(client, RESTAURANTS, "searchRestaurants", levels=[1], **here) == [near]
    assert await ids(client, DISHES, "searchDishes", sort="RATING", **here) == dishes[::-1]
    for signed_out_city_wide in ({"q": ""}, {"q": "", "lat": lat}):
        body = await gql(client, RESTAURANTS, signed_out_city_wide, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_name_written_with_a_space_is_found_without_it(client):
    """鲜 毛肚 on the menu (the menu's duplicate check reads it as 鲜毛肚) was not found by 鲜毛肚
    nor xmd: the space cut the bigram 鲜毛 and the pinyin."""
    lat, lng = random_spot()
    here = {"lat": lat, "lng": lng, "r": 1.0}
    owner, restaurant = await open_restaurant(client, lat, lng, name="老码头")
    dish = await add_dish(client, owner, restaurant, "鲜 毛肚", 3800)
    for typed in ("鲜毛肚", "鲜 毛肚", "xmd", "xianmaodu"):
        assert await ids(client, DISHES, "searchDishes", q=typed, **here) == [dish], typed
    assert await ids(client, RESTAURANTS, "searchRestaurants", q="鲜毛肚", **here) == [restaurant]
