"""Merchant replies (issue 15): staff answer a review once, edit and delete it; the author is
notified; replies are checked like reviews, reportable, and follow moderation."""

from __future__ import annotations

from tests.helpers import (
    accept_staff,
    account_with_role,
    add_dish,
    gql,
    open_restaurant,
    random_spot,
    register,
)
from tests.test_moderation import MODERATE, REPORT
from tests.test_restaurant_page import review

REPLY = """mutation($r: ID!, $b: String!) { replyToReview(reviewId: $r, body: $b) {
  reply { id body restaurant { id } review { id } } errors { field code } } }"""
EDIT = """mutation($r: ID!, $b: String!) { updateReviewReply(replyId: $r, body: $b) {
  reply { body } errors { field code } } }"""
DELETE = "mutation($r: ID!) { deleteReviewReply(replyId: $r) { deletedId errors { field code } } }"
UNDER = "query($id: ID!) { node(id: $id) { ... on Review { reply { id body } } } }"
NOTES = "{ notifications { edges { node { kind message subject { __typename id } } } } }"
STAFF = (
    "mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }"
)


def errors(body, name):
    return [(e["field"], e["code"]) for e in body["data"][name]["errors"]]


async def reviewed_restaurant(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    row = await review(client, author, dish, 2, body="等了一个小时")
    return owner, restaurant, author, row["id"]


async def test_staff_reply_once_edit_delete_and_author_is_notified(client):
    owner, restaurant, author, rid = await reviewed_restaurant(client)
    staff, _, staff_email = await register(client, account_type="RESTAURANT")
    assert (
        errors(await gql(client, STAFF, {"r": restaurant, "e": staff_email}, owner), "addRestaurantStaff")
        == []
    )
    await accept_staff(client, restaurant, staff)

    made = (await gql(client, REPLY, {"r": rid, "b": " 抱歉，已改进出菜速度 "}, staff))["data"][
        "replyToReview"
    ]
    assert made["errors"] == [] and made["reply"]["body"] == "抱歉，已改进出菜速度"
    assert made["reply"]["restaurant"]["id"] == restaurant and made["reply"]["review"]["id"] == rid
    reply_id = made["reply"]["id"]
    under = (await gql(client, UNDER, {"id": rid}))["data"]["node"]["reply"]
    assert under == {"id": reply_id, "body": "抱歉，已改进出菜速度"}
    notes = (await gql(client, NOTES, token=author))["data"]["notifications"]["edges"]
    assert [n["node"]["kind"] for n in notes] == ["review_reply"]
    assert notes[0]["node"]["message"].endswith("回复了你的点评")  # names the restaurant
    assert notes[0]["node"]["subject"] == {"__typename": "Review", "id": rid}  # opens the review

    twice = await gql(client, REPLY, {"r": rid, "b": "再来一次"}, owner)
    assert errors(twice, "replyToReview") == [("reviewId", "DUPLICATE")]
    edited = await gql(client, EDIT, {"r": reply_id, "b": "欢迎再来"}, owner)
    assert edited["data"]["updateReviewReply"] == {"reply": {"body": "欢迎再来"}, "errors": []}
    gone = await gql(client, DELETE, {"r": reply_id}, owner)
    assert gone["data"]["deleteReviewReply"] == {"deletedId": reply_id, "errors": []}
    assert (await gql(client, UNDER, {"id": rid}))["data"]["node"]["reply"] is None
    again = (await gql(client, REPLY, {"r": rid, "b": "重新回复"}, owner))["data"]["replyToReview"]
    assert again["errors"] == []


async def test_only_staff_of_that_restaurant_and_bad_text_refused(client):
    owner, restaurant, author, rid = await reviewed_restaurant(client)
    rival, _ = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    for token in (rival, diner, author):
        body = await gql(client, REPLY, {"r": rid, "b": "我来回复"}, token)
        assert errors(body, "replyToReview") == [("reviewId", "FORBIDDEN")]
    for text, code in [
        ("", "INVALID"),
        ("   ", "INVALID"),
        ("好" * 1001, "TOO_LONG"),
        ("a\x07b", "INVALID"),
        ("\u202enimda", "INVALID"),
    ]:
        body = await gql(client, REPLY, {"r": rid, "b": text}, owner)
        assert errors(body, "replyToReview") == [("body", code)], text
    nul = await gql(client, REPLY, {"r": rid, "b": "a\x00b"}, owner, expect_errors=True)
    assert nul["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # refused at the edge
    assert (await gql(client, UNDER, {"id": rid}))["data"]["node"]["reply"] is None
    made = (await gql(client, REPLY, {"r": rid, "b": "第一行\n第二行"}, owner))["data"]["replyToReview"]
    assert made["errors"] == []
    for token in (rival, diner):
        body = await gql(client, EDIT, {"r": made["reply"]["id"], "b": "篡改"}, token)
        assert errors(body, "updateReviewReply") == [("replyId", "FORBIDDEN")]
        body = await gql(client, DELETE, {"r": made["reply"]["id"]}, token)
        assert errors(body, "deleteReviewReply") == [("replyId", "FORBIDDEN")]
    bad_id = await gql(client, EDIT, {"r": rid, "b": "x"}, owner)
    assert errors(bad_id, "updateReviewReply") == [("replyId", "INVALID_ID")]


async def test_replies_are_reported_and_moderated_like_reviews(client, services):
    owner, _, author, rid = await reviewed_restaurant(client)
    reply_id = (await gql(client, REPLY, {"r": rid, "b": "你是职业差评师"}, owner))["data"]["replyToReview"][
        "reply"
    ]["id"]
    reported = (await gql(client, REPORT, {"t": reply_id, "r": "HARASSMENT"}, author))["data"][
        "reportContent"
    ]
    assert reported["errors"] == [] and reported["report"]["targetType"] == "ReviewReply"
    moderator, _ = await account_with_role(client, services)
    hide = await gql(client, MODERATE, {"r": reported["report"]["id"], "a": "HIDE_CONTENT"}, moderator)
    assert hide["data"]["moderate"]["errors"] == []
    assert (await gql(client, UNDER, {"id": rid}))["data"]["node"]["reply"] is None
    node = "query($id: ID!) { node(id: $id) { ... on ReviewReply { body } } }"
    assert (await gql(client, node, {"id": reply_id}, author))["data"]["node"] is None
    assert (await gql(client, node, {"id": reply_id}, moderator))["data"]["node"] == {
        "body": "你是职业差评师"
    }
    restore = await gql(client, MODERATE, {"r": reported["report"]["id"], "a": "RESTORE_CONTENT"}, moderator)
    assert restore["data"]["moderate"]["errors"] == []
    assert (await gql(client, UNDER, {"id": rid}))["data"]["node"]["reply"]["id"] == reply_id
    removed = (await gql(client, REPORT, {"t": reply_id, "r": "HARASSMENT"}, author))["data"]["reportContent"]
    await gql(client, MODERATE, {"r": removed["report"]["id"], "a": "REMOVE_CONTENT"}, moderator)
    edit = await gql(client, EDIT, {"r": reply_id, "b": "改口"}, owner)
    assert errors(edit, "updateReviewReply") == [("replyId", "NOT_FOUND")]
