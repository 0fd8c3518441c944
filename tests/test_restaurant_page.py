"""The restaurant page (issue 15): rating summary, 人均, gallery, signature dishes, upcoming
things, sorted and filtered review lists with totals, verified visits, deletion by the author."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_deals import REDEEM, a_deal, claim, code_of
from tests.test_moderation import MODERATE, REPORT

REVIEW = """mutation($i: ReviewInput!) { createReview(input: $i) {
  review { id verified verifiedAt spendCents } errors { field code } } }"""
EDIT = """mutation($id: ID!, $i: ReviewUpdateInput!) { updateReview(reviewId: $id, input: $i) {
  review { rating spendCents } errors { field code } } }"""
DELETE = "mutation($id: ID!) { deleteReview(reviewId: $id) { deletedId errors { field code } } }"
VOTE = "mutation($id: ID!) { voteReviewHelpful(reviewId: $id) { errors { code } } }"
SUMMARY = """query($id: ID!) { restaurant(id: $id) { ratingSummary {
  averageRating reviewCount verifiedReviewCount averageSpendCents
  distribution { stars count } } } }"""
LIST = """query($id: ID!, $s: ReviewSort!, $f: ReviewFilter, $first: Int, $after: String) {
  restaurant(id: $id) { reviews(sort: $s, filter: $f, first: $first, after: $after) {
    totalCount edges { node { id rating verified helpfulCount } } pageInfo { hasNextPage endCursor } } } }"""
DISH_LIST = """query($id: ID!, $s: ReviewSort!, $f: ReviewFilter) {
  dish(id: $id) { reviews(sort: $s, filter: $f) { totalCount edges { node { id rating } } } } }"""
PAGE = """query($id: ID!) { restaurant(id: $id) {
  mostReviewed: signatureDishes(by: MOST_REVIEWED) { name reviewCount }
  bestRated: signatureDishes(by: BEST_RATED, first: 1) { name averageRating }
  deals { id } upcomingEvents { title } upcomingMeals { title }
  photos { totalCount edges { node { id } } } } }"""
AUDIT = "{ auditLog(first: 20) { edges { node { action targetId note moderator { id } } } } }"


async def review(client, token, dish, rating, **extra):
    body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": rating, **extra}}, token)
    payload = body["data"]["createReview"]
    assert payload["errors"] == [], payload["errors"]
    return payload["review"]


async def summary(client, restaurant):
    return (await gql(client, SUMMARY, {"id": restaurant}))["data"]["restaurant"]["ratingSummary"]


def stars(summary_: dict) -> dict[int, int]:
    return {row["stars"]: row["count"] for row in summary_["distribution"]}


async def test_summary_counts_visible_reviews_and_spend(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    other = await add_dish(client, owner, restaurant, name="鸭肠")
    empty = await summary(client, restaurant)
    assert empty["reviewCount"] == 0 and empty["averageRating"] is None and empty["averageSpendCents"] is None
    tokens = [(await register(client))[0] for _ in range(3)]
    r1 = await review(client, tokens[0], dish, 5, spendCents=10000)
    await review(client, tokens[1], dish, 3, spendCents=6000)
    await review(client, tokens[2], other, 1)
    got = await summary(client, restaurant)
    assert got["reviewCount"] == 3 and got["averageRating"] == 3.0
    assert stars(got) == {5: 1, 4: 0, 3: 1, 2: 0, 1: 1}
    assert got["averageSpendCents"] == 8000

    moderator, _ = await account_with_role(client, services)
    report = (await gql(client, REPORT, {"t": r1["id"], "r": "SPAM"}, tokens[1]))["data"]["reportContent"]
    await gql(client, MODERATE, {"r": report["report"]["id"], "a": "HIDE_CONTENT"}, moderator)
    hidden = await summary(client, restaurant)
    assert hidden["reviewCount"] == 2 and stars(hidden)[5] == 0 and hidden["averageSpendCents"] == 6000
    await gql(client, MODERATE, {"r": report["report"]["id"], "a": "RESTORE_CONTENT"}, moderator)
    assert await summary(client, restaurant) == got

    edited = await gql(client, EDIT, {"id": r1["id"], "i": {"rating": 4, "spendCents": 12000}}, tokens[0])
    assert edited["data"]["updateReview"]["review"] == {"rating": 4, "spendCents": 12000}
    after_edit = await summary(client, restaurant)
    assert stars(after_edit) == {5: 0, 4: 1, 3: 1, 2: 0, 1: 1} and after_edit["averageSpendCents"] == 9000

    bad = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4, "spendCents": -5}}, owner)
    assert bad["data"]["createReview"]["errors"][0]["field"] == "spendCents"


async def test_author_deletes_review_counts_follow_and_audit_keeps_it(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    stranger, _, _ = await register(client)
    row = await review(client, author, dish, 2, body="太咸了")
    denied = await gql(client, DELETE, {"id": row["id"]}, stranger)
    assert denied["data"]["deleteReview"]["errors"][0]["code"] == "NOT_FOUND"
    done = await gql(client, DELETE, {"id": row["id"]}, author)
    assert done["data"]["deleteReview"] == {"deletedId": row["id"], "errors": []}
    assert (await summary(client, restaurant))["reviewCount"] == 0
    dish_view = await gql(
        client, "query($id: ID!) { dish(id: $id) { reviewCount averageRating } }", {"id": dish}
    )
    assert dish_view["data"]["dish"] == {"reviewCount": 0, "averageRating": None}
    node = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": row["id"]})
    assert node["data"]["node"] is None
    again = await gql(client, DELETE, {"id": row["id"]}, author)
    assert again["data"]["deleteReview"]["errors"][0]["code"] == "NOT_FOUND"
    moderator, _ = await account_with_role(client, services)
    entries = (await gql(client, AUDIT, token=moderator))["data"]["auditLog"]["edges"]
    mine = [e["node"] for e in entries if e["node"]["targetId"] == row["id"]]
    assert mine and mine[0]["action"] == "AUTHOR_DELETED" and "太咸了" in mine[0]["note"]
    # The author may review the dish again.
    await review(client, author, dish, 4)


async def test_redeemed_voucher_verifies_reviews_and_weighs_more(client):
    owner, restaurant, deal = await a_deal(client)
    dish = await add_dish(client, owner, restaurant)
    other_dish = await add_dish(client, owner, restaurant, name="冰粉")
    diner, _, _ = await register(client)
    plain, _, _ = await register(client)
    before = await review(client, diner, dish, 5)
    assert before["verified"] is False and before["verifiedAt"] is None
    await review(client, plain, dish, 2)
    assert (await summary(client, restaurant))["averageRating"] == 3.5
    code = code_of(await claim(client, diner, deal))
    redeemed = (await gql(client, REDEEM, {"c": code, "b": 20000}, owner))["data"]["redeemVoucher"]
    assert redeemed["errors"] == []
    got = await summary(client, restaurant)
    # 5 counts twice: (5*2 + 2) / 3
    assert got["verifiedReviewCount"] == 1 and got["averageRating"] == 4.0
    assert got["averageSpendCents"] == 20000
    later = await review(client, diner, other_dish, 4)
    assert later["verified"] is True and later["verifiedAt"] is not None
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Review { verified verifiedAt } } }",
        {"id": before["id"]},
    )
    assert node["data"]["node"]["verified"] is True
    verified = await gql(client, LIST, {"id": restaurant, "s": "NEWEST", "f": {"verifiedOnly": True}})
    conn = verified["data"]["restaurant"]["reviews"]
    assert conn["totalCount"] == 2 and {e["node"]["id"] for e in conn["edges"]} == {before["id"], later["id"]}


async def test_sorts_filters_and_totals(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    people = [(await register(client))[0] for _ in range(5)]
    rows = [
        await review(client, token, dish, rating)
        for token, rating in zip(people, [3, 5, 1, 4, 5], strict=True)
    ]
    await gql(client, VOTE, {"id": rows[2]["id"]}, people[0])
    await gql(client, VOTE, {"id": rows[2]["id"]}, people[1])
    await gql(client, VOTE, {"id": rows[0]["id"]}, people[1])

    async def listed(sort, f=None, first=None, after=None):
        body = await gql(client, LIST, {"id": restaurant, "s": sort, "f": f, "first": first, "after": after})
        return body["data"]["restaurant"]["reviews"]

    newest = await listed("NEWEST")
    assert [e["node"]["id"] for e in newest["edges"]] == [r["id"] for r in reversed(rows)]
    assert newest["totalCount"] == 5
    assert [e["node"]["rating"] for e in (await listed("HIGHEST"))["edges"]] == [5, 5, 4, 3, 1]
    assert [e["node"]["rating"] for e in (await listed("LOWEST"))["edges"]] == [1, 3, 4, 5, 5]
    helpful = [e["node"]["id"] for e in (await listed("MOST_HELPFUL"))["edges"]]
    assert helpful[:2] == [rows[2]["id"], rows[0]["id"]]
    five = await listed("NEWEST", {"rating": 5})
    assert five["totalCount"] == 2 and {e["node"]["rating"] for e in five["edges"]} == {5}
    assert (await listed("NEWEST", {"withPhotos": True}))["totalCount"] == 0
    # keyset paging over a non-unique sort key: every review once, in order
    seen, after = [], None
    while True:
        chunk = await listed("HIGHEST", first=2, after=after)
        seen += [e["node"]["rating"] for e in chunk["edges"]]
        if not chunk["pageInfo"]["hasNextPage"]:
            break
        after = chunk["pageInfo"]["endCursor"]
    assert seen == [5, 5, 4, 3, 1]
    dish_list = await gql(client, DISH_LIST, {"id": dish, "s": "LOWEST", "f": {"rating": 1}})
    assert dish_list["data"]["dish"]["reviews"]["totalCount"] == 1
    bad = await gql(client, LIST, {"id": restaurant, "s": "NEWEST", "f": {"rating": 9}}, expect_errors=True)
    assert bad["data"] is None or bad["errors"]
    broken = await gql(
        client, LIST, {"id": restaurant, "s": "HIGHEST", "after": "eyJ4Ijox"}, expect_errors=True
    )
    assert broken["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_page_signature_dishes_and_upcoming(client):
    owner, restaurant, deal = await a_deal(client)
    hot = await add_dish(client, owner, restaurant, name="毛肚")
    best = await add_dish(client, owner, restaurant, name="黄喉")
    await add_dish(client, owner, restaurant, name="无人问津")
    people = [(await register(client))[0] for _ in range(3)]
    for token in people:
        await review(client, token, hot, 3)
    for token in people[:2]:
        await review(client, token, best, 5)
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ends = (datetime.now(UTC) + timedelta(days=2, hours=2)).isoformat()
    event = await gql(
        client,
        "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { errors { code } } }",
        {
            "i": {
                "restaurantId": restaurant,
                "title": "品鉴会",
                "startsAt": soon,
                "endsAt": ends,
                "capacity": 5,
            }
        },
        owner,
    )
    assert event["data"]["createRestaurantEvent"]["errors"] == []
    meal = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { errors { code } } }",
        {"i": {"restaurantId": restaurant, "title": "拼桌", "startsAt": soon, "capacity": 4}},
        people[0],
    )
    assert meal["data"]["createSharedMeal"]["errors"] == []
    got = (await gql(client, PAGE, {"id": restaurant}))["data"]["restaurant"]
    assert [d["name"] for d in got["mostReviewed"]] == ["毛肚", "黄喉"]
    assert got["bestRated"] == [{"name": "黄喉", "averageRating": 5.0}]
    assert got["deals"] == [{"id": deal}]
    assert got["upcomingEvents"] == [{"title": "品鉴会"}] and got["upcomingMeals"] == [{"title": "拼桌"}]
    assert got["photos"] == {"totalCount": 0, "edges": []}


TOTALS = """{ me { followers { totalCount } } notifications { totalCount } myClaims { totalCount }
  matchRequests { totalCount } }"""


async def test_total_count_on_other_connections(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    await add_dish(client, owner, restaurant)
    await add_dish(client, owner, restaurant, name="凉面")
    dishes = (
        "query($id: ID!) { restaurant(id: $id) { dishes(first: 1) { totalCount edges { node { id } } } } }"
    )
    got = (await gql(client, dishes, {"id": restaurant}))["data"]["restaurant"]["dishes"]
    assert got["totalCount"] == 2 and len(got["edges"]) == 1
    diner, _, _ = await register(client)
    totals = (await gql(client, TOTALS, token=diner))["data"]
    assert totals == {
        "me": {"followers": {"totalCount": 0}},  # the followersCount counter
        "notifications": {"totalCount": 0},
        "myClaims": {"totalCount": 0},
        "matchRequests": {"totalCount": 0},
    }
    moderator, _ = await account_with_role(client, services)
    queue = await gql(client, "{ moderationQueue { totalCount } auditLog { totalCount } }", token=moderator)
    assert all(isinstance(v["totalCount"], int) for v in queue["data"].values())


async def test_gallery_and_with_photos_filter(client, services):
    from tests.media_helpers import upload_photo

    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    shooter, _, _ = await register(client)
    plain, _, _ = await register(client)
    photo = await upload_photo(client, shooter)
    with_photo = await review(client, shooter, dish, 5, photoIds=[photo["id"]])
    await review(client, plain, dish, 4)
    got = (await gql(client, PAGE, {"id": restaurant}))["data"]["restaurant"]["photos"]
    assert got == {"totalCount": 1, "edges": [{"node": {"id": photo["id"]}}]}
    listed = await gql(client, LIST, {"id": restaurant, "s": "NEWEST", "f": {"withPhotos": True}})
    conn = listed["data"]["restaurant"]["reviews"]
    assert conn["totalCount"] == 1 and [e["node"]["id"] for e in conn["edges"]] == [with_photo["id"]]
    # the review leaves (hidden): so does its photo, from the gallery and the filter
    moderator, _ = await account_with_role(client, services)
    report = (await gql(client, REPORT, {"t": with_photo["id"], "r": "SPAM"}, plain))["data"]["reportContent"]
    await gql(client, MODERATE, {"r": report["report"]["id"], "a": "HIDE_CONTENT"}, moderator)
    assert (await gql(client, PAGE, {"id": restaurant}))["data"]["restaurant"]["photos"]["totalCount"] == 0
