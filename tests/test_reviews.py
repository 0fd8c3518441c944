"""Dish reviews, edit history, helpful votes, consistent ratings, and the feed that shows them."""

from __future__ import annotations

import asyncio
from datetime import datetime

from models.restaurants import Visibility
from models.reviews import HelpfulVote, Review, ReviewEdit
from resolvers.reviews import reviews as review_resolvers
from schema.ids import decode
from tests.conftest import BACKEND, count_sql, override_settings
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import png_bytes, upload_photo
from tests.test_claim_gate import besides_authentication
from tests.wire_sql import count_wire

CREATE = """
mutation($i: ReviewInput!) { createReview(input: $i) {
  review { id rating body helpfulCount photos { id url } author { id } dish { id reviewCount averageRating } }
  errors { field code message } } }
"""
UPDATE = """
mutation($id: ID!, $i: ReviewUpdateInput!) { updateReview(reviewId: $id, input: $i) {
  review { rating body editCount edits { rating body } } errors { field code } } }
"""
VOTE = "mutation($id: ID!) { voteReviewHelpful(reviewId: $id) { review { helpfulCount votedHelpfulByMe } errors { code } } }"
DISH = """
query($id: ID!, $after: String) { dish(id: $id) { reviewCount averageRating
  reviews(first: 2, after: $after) { edges { node { id rating } } pageInfo { hasNextPage endCursor } } } }
"""
FEED = """
query($first: Int, $after: String) { feed(first: $first, after: $after) {
  edges { node { kind createdAt actor { id displayName }
    review { id rating body author { id displayName } dish { id name restaurant { id name } }
             restaurant { id name } photos { id thumbnailUrl } } } }
  pageInfo { hasNextPage endCursor } } }
"""
FOLLOW = "mutation($id: ID!) { follow(userId: $id) { errors { code } } }"
POSTGRES = BACKEND == "services"


async def a_dish(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng)
    return owner, rid, await add_dish(client, owner, rid)


async def review(client, token, dish, rating=5, body="毛肚很新鲜，锅底够辣！", photo_ids=()):
    body = await gql(
        client,
        CREATE,
        {"i": {"dishId": dish, "rating": rating, "body": body, "photoIds": list(photo_ids)}},
        token,
    )
    return body["data"]["createReview"]


async def test_review_with_photos_updates_the_dish(client):
    _, _, dish = await a_dish(client)
    diner, diner_id, _ = await register(client, name="吃货小李")
    photo = await upload_photo(client, diner)
    payload = await review(client, diner, dish, 4, photo_ids=[photo["id"]])
    assert payload["errors"] == []
    created = payload["review"]
    assert created["author"]["id"] == diner_id and created["body"] == "毛肚很新鲜，锅底够辣！"
    assert [p["id"] for p in created["photos"]] == [photo["id"]]
    assert created["dish"] == {"id": dish, "reviewCount": 1, "averageRating": 4.0}


async def test_one_review_per_dish_and_edits_keep_history(client):
    _, _, dish = await a_dish(client)
    diner, _, _ = await register(client)
    other, _, _ = await register(client)
    first = (await review(client, diner, dish, 2, "一般"))["review"]
    again = await review(client, diner, dish, 5)
    assert again["errors"][0]["code"] == "ALREADY_REVIEWED"
    edited = await gql(
        client, UPDATE, {"id": first["id"], "i": {"rating": 4, "body": "第二次来好多了"}}, diner
    )
    node = edited["data"]["updateReview"]["review"]
    assert (node["rating"], node["editCount"], node["edits"]) == (4, 1, [{"rating": 2, "body": "一般"}])
    dish_now = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    assert (dish_now["reviewCount"], dish_now["averageRating"]) == (1, 4.0)
    hijack = await gql(client, UPDATE, {"id": first["id"], "i": {"rating": 1}}, other)
    assert hijack["data"]["updateReview"]["errors"][0]["code"] == "NOT_FOUND"
    history = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Review { edits { rating } } } }",
        {"id": first["id"]},
        other,
        expect_errors=True,
    )
    assert history["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_review_input_is_validated_without_partial_writes(client):
    owner, _, dish = await a_dish(client)
    diner, _, _ = await register(client)
    stranger, _, _ = await register(client)
    theirs = await upload_photo(client, stranger)
    bad = await review(client, diner, dish, 6, "x" * 2001)
    assert {e["field"] for e in bad["errors"]} == {"rating", "body"}
    stolen = await review(client, diner, dish, 5, photo_ids=[theirs["id"]])
    assert stolen["errors"][0]["field"] == "photoIds"
    own = await review(client, owner, dish, 5)
    assert own["errors"][0]["code"] == "FORBIDDEN"  # the owner's work account reviews nothing
    unknown = await review(client, diner, "RGlzaDo5OTk5OTk5OQ==", 5)
    assert unknown["errors"][0]["code"] == "NOT_FOUND"
    dish_now = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    assert dish_now["reviewCount"] == 0 and dish_now["reviews"]["edges"] == []
    assert (await review(client, diner, dish, 5))["errors"] == []  # nothing half-written blocks it


async def test_helpful_votes_once_and_never_your_own(client):
    _, _, dish = await a_dish(client)
    author, _, _ = await register(client)
    voter, _, _ = await register(client)
    rid = (await review(client, author, dish))["review"]["id"]
    own = await gql(client, VOTE, {"id": rid}, author)
    assert own["data"]["voteReviewHelpful"]["errors"][0]["code"] == "OWN_CONTENT"
    first = await gql(client, VOTE, {"id": rid}, voter)
    assert first["data"]["voteReviewHelpful"]["review"] == {"helpfulCount": 1, "votedHelpfulByMe": True}
    second = await gql(client, VOTE, {"id": rid}, voter)
    assert second["data"]["voteReviewHelpful"]["errors"][0]["code"] == "ALREADY_VOTED"


async def test_a_vote_racing_the_reviews_deletion_or_hiding_is_not_found(client, monkeypatch):
    """The review goes (the author's deleteReview, or moderation) between the vote's visibility
    check and its write: NOT_FOUND, nothing recorded; only a real second vote is ALREADY_VOTED."""
    _, _, dish = await a_dish(client)
    voter, _, _ = await register(client)
    deleted = (await review(client, (await register(client))[0], dish, 4))["review"]["id"]
    hidden = (await review(client, (await register(client))[0], dish, 2))["review"]["id"]
    check = review_resolvers.visibility.get
    meanwhile = {
        decode(deleted, "Review", "id"): lambda pk: Review.filter(id=pk).delete(),
        decode(hidden, "Review", "id"): lambda pk: review_resolvers.set_visibility(pk, Visibility.HIDDEN),
    }

    async def checked_then_gone(ctx, model, pk):
        row = await check(ctx, model, pk)
        if model is Review and pk in meanwhile:
            await meanwhile.pop(pk)(pk)
        return row

    monkeypatch.setattr(review_resolvers.visibility, "get", checked_then_gone)
    for rid in (deleted, hidden):
        raced = (await gql(client, VOTE, {"id": rid}, voter))["data"]["voteReviewHelpful"]
        assert [e["code"] for e in raced["errors"]] == ["NOT_FOUND"] and raced["review"] is None
    assert meanwhile == {}
    pks = [decode(rid, "Review", "id") for rid in (deleted, hidden)]
    assert not await HelpfulVote.filter(review_id__in=pks).exists()
    assert await Review.get(id=pks[1]).values_list("helpful_count", flat=True) == 0
    # A diner voting twice at once: one vote, the others ALREADY_VOTED.
    target = (await review(client, (await register(client))[0], dish, 5))["review"]["id"]
    twice = await asyncio.gather(*(gql(client, VOTE, {"id": target}, voter) for _ in range(4)))
    codes = sorted(str([e["code"] for e in t["data"]["voteReviewHelpful"]["errors"]]) for t in twice)
    assert codes == ["['ALREADY_VOTED']"] * 3 + ["[]"], codes
    again = (await gql(client, VOTE, {"id": target}, voter))["data"]["voteReviewHelpful"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_VOTED"]
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Review { helpfulCount } } }", {"id": target}
    )
    assert node["data"]["node"]["helpfulCount"] == 1


REVIEW_STATE = """query($id: ID!) { node(id: $id) { ... on Review {
  rating body spendCents editCount updatedAt photos { id } edits { rating body photoIds } } } }"""


async def test_an_edit_that_changes_nothing_records_nothing(client):
    _, _, dish = await a_dish(client)
    diner, _, _ = await register(client)
    photos = [(await upload_photo(client, diner, png_bytes(), "image/png"))["id"] for _ in range(2)]
    created = await gql(
        client,
        CREATE,
        {"i": {"dishId": dish, "rating": 4, "body": "锅底够辣", "photoIds": photos, "spendCents": 8800}},
        diner,
    )
    rid = created["data"]["createReview"]["review"]["id"]
    before = (await gql(client, REVIEW_STATE, {"id": rid}, diner))["data"]["node"]
    assert (before["editCount"], before["edits"]) == (0, [])
    same = {"rating": 4, "body": "锅底够辣", "photoIds": photos, "spendCents": 8800}
    for unchanged in (same, {"body": "  锅底够辣\n"}, {"photoIds": photos}, {}):
        edited = (await gql(client, UPDATE, {"id": rid, "i": unchanged}, diner))["data"]["updateReview"]
        assert edited["errors"] == []
        assert (edited["review"]["editCount"], edited["review"]["edits"]) == (0, [])
    assert (await gql(client, REVIEW_STATE, {"id": rid}, diner))["data"]["node"] == before
    assert not await ReviewEdit.filter(review_id=decode(rid, "Review", "id")).exists()
    # Putting the same photos in another order is an edit: one version, the order it had.
    edited = (await gql(client, UPDATE, {"id": rid, "i": {"photoIds": photos[::-1]}}, diner))["data"]
    assert edited["updateReview"]["errors"] == []
    after = (await gql(client, REVIEW_STATE, {"id": rid}, diner))["data"]["node"]
    assert [p["id"] for p in after["photos"]] == photos[::-1] and after["editCount"] == 1
    assert after["edits"] == [{"rating": 4, "body": "锅底够辣", "photoIds": photos}]
    assert datetime.fromisoformat(after["updatedAt"]) > datetime.fromisoformat(before["updatedAt"])


async def test_a_review_takes_nine_distinct_photos_at_most(client):
    _, _, dish = await a_dish(client)
    diner, _, _ = await register(client)
    photos = [(await upload_photo(client, diner, png_bytes(), "image/png"))["id"] for _ in range(10)]
    refused = {
        "OUT_OF_RANGE": photos,  # ten different photos
        "DUPLICATE": photos[:8] + photos[:1],  # nine ids, eight photos: once deduplicated quietly
    }
    for code, ids in refused.items():
        payload = await review(client, diner, dish, 5, photo_ids=ids)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [("photoIds", code)]
        assert payload["review"] is None
    assert (await gql(client, DISH, {"id": dish}))["data"]["dish"]["reviewCount"] == 0
    nine = await review(client, diner, dish, 5, photo_ids=photos[:9])
    assert nine["errors"] == [] and [p["id"] for p in nine["review"]["photos"]] == photos[:9]
    rid = nine["review"]["id"]
    for code, ids in {"OUT_OF_RANGE": photos, "DUPLICATE": [photos[9], photos[9]]}.items():
        edited = (await gql(client, UPDATE, {"id": rid, "i": {"photoIds": ids}}, diner))["data"]
        assert [(e["field"], e["code"]) for e in edited["updateReview"]["errors"]] == [("photoIds", code)]
    state = (await gql(client, REVIEW_STATE, {"id": rid}, diner))["data"]["node"]
    assert [p["id"] for p in state["photos"]] == photos[:9] and state["editCount"] == 0


async def test_counts_stay_right_under_concurrent_writes(client):
    _, _, dish = await a_dish(client)
    diners = [await register(client) for _ in range(12)]
    ratings = [1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 5, 5]
    results = await asyncio.gather(
        *(review(client, t, dish, r) for (t, _, _), r in zip(diners, ratings, strict=True))
    )
    assert all(r["errors"] == [] for r in results)
    # The same diner racing themselves still gets one review.
    racer, _, _ = await register(client)
    raced = await asyncio.gather(*(review(client, racer, dish, 3) for _ in range(5)))
    assert sorted(bool(r["errors"]) for r in raced) == [False, True, True, True, True]
    target = results[0]["review"]["id"]
    votes = await asyncio.gather(*(gql(client, VOTE, {"id": target}, t) for t, _, _ in diners[1:]))
    assert all(v["data"]["voteReviewHelpful"]["errors"] == [] for v in votes)
    dish_now = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    assert dish_now["reviewCount"] == 13
    assert dish_now["averageRating"] == round((sum(ratings) + 3) / 13, 2)
    node = await gql(
        client, "query($id: ID!) { node(id: $id) { ... on Review { helpfulCount } } }", {"id": target}
    )
    assert node["data"]["node"]["helpfulCount"] == 11


async def test_hidden_reviews_leave_counts_lists_and_feed(client):
    _, _, dish = await a_dish(client)
    author, author_id, _ = await register(client)
    follower, _, _ = await register(client)
    await gql(client, FOLLOW, {"id": author_id}, follower)
    keep = (await review(client, author, dish, 5))["review"]["id"]
    other, _, _ = await register(client)
    hide = (await review(client, other, dish, 1))["review"]["id"]
    await gql(client, FOLLOW, {"id": decode_user(await gql(client, "{ me { id } }", token=other))}, follower)
    await review_resolvers.set_visibility(decode(hide, "Review", "id"), Visibility.HIDDEN)
    dish_now = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    assert (dish_now["reviewCount"], dish_now["averageRating"]) == (1, 5.0)
    assert [e["node"]["id"] for e in dish_now["reviews"]["edges"]] == [keep]
    assert (await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": hide}))["data"][
        "node"
    ] is None
    feed_ids = [
        e["node"]["review"]["id"]
        for e in (await gql(client, FEED, {"first": 20}, follower))["data"]["feed"]["edges"]
    ]
    assert feed_ids == [keep]
    await review_resolvers.set_visibility(decode(hide, "Review", "id"), Visibility.VISIBLE)
    dish_now = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    assert (dish_now["reviewCount"], dish_now["averageRating"]) == (2, 3.0)


def decode_user(body):
    return body["data"]["me"]["id"]


async def test_feed_pages_reviews_without_repeats_in_constant_sql(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng)
    dishes = [await add_dish(client, owner, rid, f"菜{i}") for i in range(5)]
    reader, _, _ = await register(client)
    authors = []
    for i in range(5):
        token, user_id, _ = await register(client, name=f"作者{i}")
        await gql(client, FOLLOW, {"id": user_id}, reader)
        authors.append(token)
    photo_ids = {}
    for i, token in enumerate(authors[:2]):
        photo_ids[i] = [(await upload_photo(client, token))["id"]]
    for i, token in enumerate(authors):
        for dish in dishes:
            assert (
                await review(
                    client, token, dish, 4, f"第{i}位", photo_ids.get(i, []) if dish == dishes[0] else []
                )
            )["errors"] == []
    counts, seen, after = [], [], None
    while True:
        with count_sql() as sql:
            body = await gql(client, FEED, {"first": 20 if not seen else 5, "after": after}, reader)
        counts.append(len(sql.statements))
        conn = body["data"]["feed"]
        seen += [e["node"]["review"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == 25 == len(set(seen))
    first = (await gql(client, FEED, {"first": 20}, reader))["data"]["feed"]["edges"]
    times = [e["node"]["createdAt"] for e in first]
    assert times == sorted(times, reverse=True)
    assert all(e["node"]["review"]["restaurant"]["id"] == rid for e in first)
    # Page of 20 and pages of 5 cost the same small number of statements: no N+1 (issue 18: at
    # most 6, the viewer included; tests/test_feed_cost.py counts them as the driver sends them).
    assert max(counts) <= 6 and len(set(counts[:2])) == 1, counts


SESSION_DISH = """query($d: ID!) { dish(id: $d) { name averageRating reviewCount
  reviews(first: 10) { edges { node { rating body author { displayName } } } } } }"""


async def test_a_dish_page_reads_its_reviews_authors_with_them(client):
    """bench/session.lua's dish line: the authors come with the page of reviews (issue 18)."""
    _, _, dish = await a_dish(client)
    reader, _, _ = await register(client)
    blocked, blocked_id, _ = await register(client, name="拉黑")
    assert (await review(client, blocked, dish, 1))["errors"] == []
    await gql(
        client, "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }", {"u": blocked_id}, reader
    )
    names = [f"作者{i}" for i in range(12)]
    for name in names:
        assert (await review(client, (await register(client, name=name))[0], dish, 4))["errors"] == []
    await gql(client, SESSION_DISH, {"d": dish}, reader)  # the viewer is then known (cached)
    with count_wire(POSTGRES) as wire:
        shown = (await gql(client, SESSION_DISH, {"d": dish}, reader))["data"]["dish"]
    assert [e["node"]["author"]["displayName"] for e in shown["reviews"]["edges"]] == names[::-1][:10]
    # the dish, the viewer's blocks, the reviews with their authors (+ the viewer embedded)
    assert len(besides_authentication(wire.statements)) == 3, wire.statements


async def test_reviews_are_rate_limited(client, services):
    _, _, dish = await a_dish(client)
    owner, rid = await open_restaurant(client, *random_spot())
    more = [await add_dish(client, owner, rid, f"菜{i}") for i in range(2)]
    diner, _, _ = await register(client)
    with override_settings(services, rate_limit_reviews_per_hour=2):
        codes = [[e["code"] for e in (await review(client, diner, d))["errors"]] for d in (dish, *more)]
    assert codes == [[], [], ["RATE_LIMITED"]]


REVIEW_DISH = (
    "query($id: ID!) { node(id: $id) { ... on Review { dish { id name archived } "
    "restaurant { id } } } }"
)
ARCHIVE = "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }"
MENU = "query($r: ID!) { restaurant(id: $r) { dishes { edges { node { id } } } } }"


async def test_a_dish_taken_off_the_menu_is_still_named_on_its_reviews(client):
    """已下架: the review still says what it was about (it said null before), the feed too;
    the menu and dish(id) leave the dish out, and nobody new reviews it."""
    owner, restaurant, dish = await a_dish(client)
    author, author_id, _ = await register(client)
    follower, _, _ = await register(client)
    await gql(client, FOLLOW, {"id": author_id}, follower)
    written = (await review(client, author, dish, 4))["review"]["id"]
    assert (await gql(client, ARCHIVE, {"d": dish}, owner))["data"]["archiveDish"]["errors"] == []

    shown = (await gql(client, REVIEW_DISH, {"id": written}))["data"]["node"]
    assert shown["dish"] == {"id": dish, "name": "毛肚", "archived": True}
    [item] = (await gql(client, FEED, {"first": 20}, follower))["data"]["feed"]["edges"]
    assert item["node"]["review"]["dish"]["name"] == "毛肚"
    assert (await gql(client, "query($id: ID!) { dish(id: $id) { id } }", {"id": dish}))["data"]["dish"] is None
    menu = (await gql(client, MENU, {"r": restaurant}))["data"]["restaurant"]["dishes"]["edges"]
    assert dish not in [e["node"]["id"] for e in menu]
    again = await review(client, (await register(client))[0], dish, 5)
    assert again["errors"][0]["code"] == "NOT_FOUND"  # no new reviews of a dish off the menu
