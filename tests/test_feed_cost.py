"""What a feed page costs the database (issue 18: at most 6 statements whatever its size), counted
as the driver sends them, and what it shows: reviews, meals and events of followed diners and of
restaurants within 10 km, under the same visibility rules as every other list."""

from __future__ import annotations

from tests.conftest import BACKEND
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.test_meals import EVENT, east, host_meal, later
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"
MAX_STATEMENTS = 6
FOLLOW = "mutation($id: ID!) { follow(userId: $id) { errors { code } } }"
BLOCK = "mutation($id: ID!) { blockUser(userId: $id) { errors { code } } }"
LOCATE = "mutation($lat: Float!, $lng: Float!) { updateLocation(lat: $lat, lng: $lng) { errors { code } } }"
ARCHIVE_DISH = "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }"
CREATE = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }"
# bench/session.lua's feed line (and bench/feed.py's page): 20 reviews with author, dish,
# restaurant and photos.
SESSION_FEED = """query($first: Int, $after: String) { feed(first: $first, after: $after) {
  edges { node { kind review { id rating body author { displayName } dish { name }
    restaurant { name } photos { thumbnailUrl } } } }
  pageInfo { hasNextPage endCursor } } }"""
# Every scalar of the content, its author/host and restaurant: the feed must show exactly what
# node(id:) shows (the rows it joins are built as Tortoise builds rows it reads).
USER = "{ id displayName bio cuisines dietary spiceLevel budgetLevel role createdAt }"
PLACE = "{ id name }"
REVIEW_FIELDS = f"""id rating body helpfulCount editCount createdAt updatedAt spendCents verified
  verifiedAt author {USER} dish {{ id name priceCents }} restaurant {PLACE} photos {{ id }}"""
MEAL_FIELDS = f"""id title description startsAt capacity seatsTaken approvalRequired visibility status
  reservationStatus createdAt seatsLeft phase host {USER} restaurant {PLACE}"""
EVENT_FIELDS = f"""id title description startsAt endsAt capacity seatsTaken priceCents currency tags
  cancelled createdAt seatsLeft restaurant {PLACE}"""
EVERY_KIND = f"""{{ feed(first: 20) {{ edges {{ node {{ kind actor {USER}
  review {{ {REVIEW_FIELDS} }} sharedMeal {{ {MEAL_FIELDS} }} event {{ {EVENT_FIELDS} }} }} }} }} }}"""
BY_ID = f"""query($id: ID!) {{ node(id: $id) {{ ... on Review {{ {REVIEW_FIELDS} }}
  ... on SharedMeal {{ {MEAL_FIELDS} }} ... on RestaurantEvent {{ {EVENT_FIELDS} }} }} }}"""


async def write_review(client, token, dish, body="毛肚很新鲜", photo_ids=()):
    variables = {"i": {"dishId": dish, "rating": 4, "body": body, "photoIds": list(photo_ids)}}
    payload = (await gql(client, CREATE, variables, token))["data"]["createReview"]
    assert payload["errors"] == [], payload["errors"]
    return payload["review"]["id"]


async def located_reader(client, lat, lng):
    reader, reader_id, _ = await register(client, name="读者")
    located = await gql(client, LOCATE, {"lat": lat, "lng": lng}, reader)
    assert located["data"]["updateLocation"]["errors"] == []
    return reader, reader_id


async def page(client, token, first, after=None):
    with count_wire(POSTGRES) as wire:
        body = await gql(client, SESSION_FEED, {"first": first, "after": after}, token)
    return body["data"]["feed"], wire.statements


async def test_a_feed_page_costs_at_most_six_statements_whatever_its_size(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng, name="近处火锅")
    dishes = [await add_dish(client, owner, rid, f"菜{i}") for i in range(5)]
    far_owner, far = await open_restaurant(client, *east(lat, lng, 30), name="远处火锅")
    far_dish = await add_dish(client, far_owner, far, "远菜")
    reader, _ = await located_reader(client, *east(lat, lng, 2))
    written = []
    for i in range(5):
        token, user_id, _ = await register(client, name=f"作者{i}")
        await gql(client, FOLLOW, {"id": user_id}, reader)
        photos = [(await upload_photo(client, token))["id"]] if i < 2 else []
        for j, dish in enumerate(dishes):
            written.append(await write_review(client, token, dish, f"第{i}位", photos if j == 0 else ()))
    stranger, _, _ = await register(client, name="路人")
    near_stranger = await write_review(client, stranger, dishes[0], "路过")  # nearby: in the feed
    await write_review(client, stranger, far_dish, "远处")  # neither followed nor nearby
    await gql(client, SESSION_FEED, {"first": 1}, reader)  # the viewer is then known (cached)

    twenty, at_20 = await page(client, reader, 20)
    five, at_5 = await page(client, reader, 5)
    next_five, at_5_after = await page(client, reader, 5, five["pageInfo"]["endCursor"])
    rest, at_rest = await page(client, reader, 20, twenty["pageInfo"]["endCursor"])
    print("\npage of 20:", len(at_20), *(s[:120] for s in at_20), sep="\n  ")
    print("page of 5:", len(at_5), *(s[:120] for s in at_5), sep="\n  ")

    def ids(feed):
        return [edge["node"]["review"]["id"] for edge in feed["edges"]]

    expected = [near_stranger, *reversed(written)]
    assert ids(twenty) + ids(rest) == expected and not rest["pageInfo"]["hasNextPage"]
    assert ids(five) + ids(next_five) == expected[:10]
    shown = {edge["node"]["review"]["id"]: edge["node"]["review"] for edge in twenty["edges"] + rest["edges"]}
    assert shown[near_stranger]["author"] == {"displayName": "路人"}
    assert {r["restaurant"]["name"] for r in shown.values()} == {"近处火锅"}
    assert {r["dish"]["name"] for r in shown.values()} == {f"菜{i}" for i in range(5)}
    with_photos = [r for r in shown.values() if r["photos"]]
    assert len(with_photos) == 2 and all(r["photos"][0]["thumbnailUrl"] for r in with_photos)
    assert {r["author"]["displayName"] for r in with_photos} == {"作者0", "作者1"}
    # Issue 18: at most 6 statements per page (viewer included: embedded reads it each request),
    # the same for a page of 20, of 5 and the pages after them.
    counts = [len(at_20), len(at_5), len(at_5_after), len(at_rest)]
    assert max(counts) <= MAX_STATEMENTS and len(set(counts)) == 1, (counts, at_20)


async def test_every_kind_shows_under_the_visibility_rules_in_the_same_statements(client):
    lat, lng = random_spot()
    owner, near = await open_restaurant(client, lat, lng, name="近处")
    dish = await add_dish(client, owner, near, "毛肚")
    gone_dish = await add_dish(client, owner, near, "下架菜")
    _, far = await open_restaurant(client, *east(lat, lng, 30), name="远处", owner_token=owner)
    reader, reader_id = await located_reader(client, lat, lng)

    followed, followed_id, _ = await register(client, name="关注的人")
    await gql(client, FOLLOW, {"id": followed_id}, reader)
    review = await write_review(client, followed, dish)
    archived_dish_review = await write_review(client, followed, gone_dish)
    await gql(client, ARCHIVE_DISH, {"d": gone_dish}, owner)
    own = await write_review(client, reader, dish, "我自己的")
    # Followed hosts: a public meal far away and a followers-only one; a stranger's
    # followers-only meal nearby stays out, their public one nearby shows.
    host, host_id, public_far, _ = await host_meal(client, restaurant=far)
    await gql(client, FOLLOW, {"id": host_id}, reader)
    fhost, fhost_id, followers_only, _ = await host_meal(client, restaurant=far, visibility="FOLLOWERS")
    await gql(client, FOLLOW, {"id": fhost_id}, reader)
    _, _, strangers_private, _ = await host_meal(client, restaurant=near, visibility="FOLLOWERS")
    _, stranger_host_id, strangers_public, _ = await host_meal(client, restaurant=near)
    event_input = {
        "restaurantId": near,
        "title": "品鉴会",
        "startsAt": later(24),
        "endsAt": later(27),
        "capacity": 5,
        "priceCents": 9900,
        "tags": ["品鉴", "川菜"],
    }
    event = (await gql(client, EVENT, {"i": event_input}, owner))["data"]["createRestaurantEvent"]["event"]
    far_event = (await gql(client, EVENT, {"i": {**event_input, "restaurantId": far}}, owner))["data"][
        "createRestaurantEvent"
    ]["event"]
    # Blocks either way take people out of the feed.
    blocker, blocker_id, _ = await register(client, name="拉黑我的人")
    await gql(client, FOLLOW, {"id": blocker_id}, reader)
    blocked_review = await write_review(client, blocker, dish, "看不到")
    await gql(client, BLOCK, {"id": reader_id}, blocker)
    blocked, blocked_id, _ = await register(client, name="我拉黑的人")
    await write_review(client, blocked, dish, "也看不到")
    await gql(client, BLOCK, {"id": blocked_id}, reader)

    await gql(client, EVERY_KIND, token=reader)  # the viewer is then known (cached)
    with count_wire(POSTGRES) as wire:
        items = [e["node"] for e in (await gql(client, EVERY_KIND, token=reader))["data"]["feed"]["edges"]]
    print("\nevery kind:", len(wire.statements), *(s[:120] for s in wire.statements), sep="\n  ")

    def shown(node):
        content = node["review"] or node["sharedMeal"] or node["event"]
        return node["kind"], content["id"]

    assert [shown(n) for n in items] == [
        ("EVENT", event["id"]),
        ("SHARED_MEAL", strangers_public),
        ("SHARED_MEAL", followers_only),
        ("SHARED_MEAL", public_far),
        ("REVIEW", own),
        ("REVIEW", archived_dish_review),
        ("REVIEW", review),
    ]
    assert blocked_review not in {n["review"]["id"] for n in items if n["review"]}
    assert far_event["id"] not in {n["event"]["id"] for n in items if n["event"]}
    assert strangers_private not in {n["sharedMeal"]["id"] for n in items if n["sharedMeal"]}
    by_id = {shown(n)[1]: n for n in items}
    assert by_id[event["id"]]["actor"] is None and by_id[event["id"]]["event"]["restaurant"]["name"] == "近处"
    assert by_id[strangers_public]["sharedMeal"]["host"]["id"] == stranger_host_id
    assert by_id[followers_only]["actor"]["id"] == fhost_id
    assert by_id[public_far]["sharedMeal"]["restaurant"]["name"] == "远处"
    assert by_id[review]["review"]["dish"]["name"] == "毛肚"
    assert by_id[review]["review"]["author"]["id"] == followed_id == by_id[review]["actor"]["id"]
    assert by_id[own]["actor"]["id"] == reader_id
    # 已下架: a dish off the menu is still named on its review (Review.dish), from the same statements
    assert by_id[archived_dish_review]["review"]["dish"]["name"] == "下架菜"
    assert len(wire.statements) <= MAX_STATEMENTS, wire.statements
    for item in items:
        content = item["review"] or item["sharedMeal"] or item["event"]
        assert content == (await gql(client, BY_ID, {"id": content["id"]}, reader))["data"]["node"]


async def test_the_feed_statement_text_is_the_same_wherever_the_viewer_stands(client):
    """The viewer's point and the radius are bound parameters of the page's statement, not
    literals in it: readers at different places send the same SQL text (so PostgreSQL prepares
    it once per connection and may reuse its plan), and each still sees its own neighbourhood."""
    spots = [random_spot(), random_spot()]
    seen, sent = [], []
    for i, (lat, lng) in enumerate(spots):
        owner, rid = await open_restaurant(client, lat, lng, name=f"近处{i}")
        dish = await add_dish(client, owner, rid, f"菜{i}")
        author, _, _ = await register(client, name=f"路人{i}")
        await write_review(client, author, dish, f"路过{i}")
        reader, _ = await located_reader(client, *east(lat, lng, 2 + i))
        await gql(client, SESSION_FEED, {"first": 1}, reader)  # the viewer is then known (cached)
        feed, statements = await page(client, reader, 20)
        seen.append([edge["node"]["review"]["body"] for edge in feed["edges"]])
        sent.append([sql_text(s) for s in statements])
    assert seen == [["路过0"], ["路过1"]]
    assert sent[0] == sent[1], sent
    for lat, lng in spots:
        assert not any(repr(lng) in s or repr(lat) in s for s in sent[0]), sent[0]


def sql_text(statement: str) -> str:
    """The statement's text (SQLite's count is Tortoise's log, `<sql>: <values>`)."""
    return statement if POSTGRES else statement.split(": [")[0].split(": None")[0]
