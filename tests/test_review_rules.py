"""The review and reply rules (resolvers/visibility.py): a review goes with its restaurant, a
reply with its author's suspension; by id, in votes and on the page alike."""

from __future__ import annotations

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_moderation import MODERATE, REPORT
from tests.test_reviews import review

REPLY = "mutation($r: ID!, $b: String!) { replyToReview(reviewId: $r, body: $b) { reply { id } errors { code } } }"
READ = "query($id: ID!) { node(id: $id) { ... on Review { id reply { body } } } }"
VOTE = "mutation($r: ID!) { voteReviewHelpful(reviewId: $r) { errors { code field } } }"


async def moderate(client, services, target, action, reporter, **extra):
    report = await gql(client, REPORT, {"t": target, "r": "HARASSMENT"}, reporter)
    moderator, _ = await account_with_role(client, services)
    variables = {"r": report["data"]["reportContent"]["report"]["id"], "a": action, **extra}
    assert (await gql(client, MODERATE, variables, moderator))["data"]["moderate"]["errors"] == []


async def test_a_suspended_staff_members_reply_goes_with_them(client, services):
    owner, place = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, place)
    diner, _, _ = await register(client)
    written = (await review(client, diner, dish, rating=1, body="服务太差"))["review"]["id"]
    replied = await gql(client, REPLY, {"r": written, "b": "你懂什么"}, owner)
    assert replied["data"]["replyToReview"]["errors"] == []
    assert (await gql(client, READ, {"id": written}, diner))["data"]["node"]["reply"] == {"body": "你懂什么"}
    owner_id = (await gql(client, "{ me { id } }", token=owner))["data"]["me"]["id"]
    await moderate(client, services, owner_id, "SUSPEND_USER", diner, d=3)
    assert (await gql(client, READ, {"id": written}, diner))["data"]["node"] == {"id": written, "reply": None}


async def test_a_review_of_a_removed_restaurant_is_out_of_reach_by_id_and_takes_no_vote(client, services):
    owner, place = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, place)
    author, _, _ = await register(client)
    voter, _, _ = await register(client)
    written = (await review(client, author, dish))["review"]["id"]
    await moderate(client, services, place, "REMOVE_CONTENT", voter)
    assert (await gql(client, READ, {"id": written}, voter))["data"]["node"] is None
    voted = (await gql(client, VOTE, {"r": written}, voter))["data"]["voteReviewHelpful"]
    assert voted["errors"] == [{"code": "NOT_FOUND", "field": "reviewId"}]
