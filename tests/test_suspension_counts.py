"""A suspended diner's reviews leave the ratings and come back after (resolvers/reviews/withdrawal.py).

Lists already hide a suspended author's reviews; the dish's count and mean and the restaurant's
rating summary must say what the lists say, so a review-bomber's one-star reviews stop dragging a
restaurant down the moment a moderator suspends them, and count again once the suspension ends
(lifted, or run out: the settle-suspensions job)."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from models.accounts import User
from resolvers.jobs import JOBS, run_job
from schema.ids import decode
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_moderation import MODERATE, REPORT
from tests.test_rating_counters import expected, visible_summary

REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }"
EDIT = """mutation($id: ID!, $i: ReviewUpdateInput!) { updateReview(reviewId: $id, input: $i) {
  review { rating } errors { code } } }"""
DISH = """query($id: ID!) { dish(id: $id) { reviewCount averageRating
  reviews(first: 100) { totalCount edges { node { rating } } } } }"""
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"
SETTLE = next(job for job in JOBS if job.name == "settle-suspensions")


async def review(client, token, dish, rating) -> str:
    body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": rating, "body": "味道如何"}}, token)
    return body["data"]["createReview"]["review"]["id"]


async def report(client, reporter, target) -> str:
    body = await gql(client, REPORT, {"t": target, "r": "SPAM"}, reporter)
    assert body.get("data") and body["data"]["reportContent"]["report"], body
    return body["data"]["reportContent"]["report"]["id"]


async def dish_counts(client, dish) -> tuple[dict, dict]:
    """(what the dish says, what its visible review list says)."""
    got = (await gql(client, DISH, {"id": dish}))["data"]["dish"]
    ratings = [e["node"]["rating"] for e in got["reviews"]["edges"]]
    listed = {
        "reviewCount": len(ratings),
        "averageRating": round(sum(ratings) / len(ratings), 2) if ratings else None,
    }
    return {"reviewCount": got["reviewCount"], "averageRating": got["averageRating"]}, listed


async def consistent(client, restaurant, dishes) -> dict:
    """Every counter equals what the lists show; returns the restaurant's summary."""
    want = await expected(client, restaurant)
    assert await visible_summary(client, restaurant) == want
    for dish in dishes:
        said, listed = await dish_counts(client, dish)
        assert said == listed, dish
    return want


async def test_a_suspended_review_bomber_leaves_the_ratings_until_lifted(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant, name="麻婆豆腐")
    other_owner, elsewhere = await open_restaurant(client, *random_spot())
    other_dish = await add_dish(client, other_owner, elsewhere, name="回锅肉")
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    for rating in (5, 4):
        await review(client, (await register(client))[0], dish, rating)
    bomber, _, _ = await register(client, name="水军")
    bombed = await review(client, bomber, dish, 1)
    await review(client, bomber, other_dish, 1)
    assert (await consistent(client, restaurant, [dish]))["reviewCount"] == 3
    assert (await dish_counts(client, dish))[0] == {"reviewCount": 3, "averageRating": 3.33}

    case = await report(client, reporter, bombed)
    await gql(client, MODERATE, {"r": case, "a": "SUSPEND_USER", "d": 3}, moderator)
    summary = await consistent(client, restaurant, [dish])
    assert summary["reviewCount"] == 2 and summary["averageRating"] == 4.5
    assert (await dish_counts(client, dish))[0] == {"reviewCount": 2, "averageRating": 4.5}
    assert (await consistent(client, elsewhere, [other_dish]))["reviewCount"] == 0

    # Hiding and restoring the suspended author's review moves nothing: it is already out.
    for action in ("HIDE_CONTENT", "RESTORE_CONTENT", "SUSPEND_USER"):
        await gql(client, MODERATE, {"r": case, "a": action}, moderator)
        assert (await consistent(client, restaurant, [dish]))["reviewCount"] == 2

    await gql(client, MODERATE, {"r": case, "a": "UNSUSPEND_USER"}, moderator)
    summary = await consistent(client, restaurant, [dish])
    assert summary["reviewCount"] == 3 and summary["averageRating"] == 3.33
    assert (await consistent(client, elsewhere, [other_dish]))["reviewCount"] == 1
    await gql(client, MODERATE, {"r": case, "a": "UNSUSPEND_USER"}, moderator)  # twice: once back
    assert (await consistent(client, restaurant, [dish]))["reviewCount"] == 3


async def test_suspensions_that_run_out_or_predate_the_rule_are_settled_by_the_job(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dishes = [await add_dish(client, owner, restaurant, name=f"菜{i}") for i in range(2)]
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    await review(client, (await register(client))[0], dishes[0], 5)
    bomber, bomber_id, email = await register(client)
    bombed = await review(client, bomber, dishes[0], 1)
    case = await report(client, reporter, bombed)
    await gql(client, MODERATE, {"r": case, "a": "SUSPEND_USER", "d": 1}, moderator)
    assert (await consistent(client, restaurant, dishes))["reviewCount"] == 1

    # The day runs out. Signed in again before the job has run, the diner writes and edits:
    # out of the lists and the counters alike until the job puts every review back at once.
    pk = decode(bomber_id, "User", "id")
    await User.filter(id=pk).update(suspended_until=datetime.now(UTC) - timedelta(minutes=1))
    token = (await gql(client, LOGIN, {"e": email, "p": "correct horse battery"}))["data"]["login"]["token"]
    await review(client, token, dishes[1], 2)
    await gql(client, EDIT, {"id": bombed, "i": {"rating": 3}}, token)
    assert (await consistent(client, restaurant, dishes))["reviewCount"] == 1
    # (The job settles every diner due, other tests' too: the counts say "at least ours".)
    settled = await run_job(services, SETTLE)
    assert settled["restored"] >= 1 and not (await User.get(id=pk)).counts_withdrawn
    summary = await consistent(client, restaurant, dishes)
    assert summary["reviewCount"] == 3 and summary["averageRating"] == round((5 + 3 + 2) / 3, 2)
    await run_job(services, SETTLE)  # once back, a second run moves nothing of ours
    assert (await consistent(client, restaurant, dishes))["reviewCount"] == 3

    # A suspension written before the rule (or past the app) is withdrawn by the next run.
    await User.filter(id=pk).update(suspended_until=datetime.now(UTC) + timedelta(days=1))
    assert (await run_job(services, SETTLE))["withdrawn"] >= 1 and (await User.get(id=pk)).counts_withdrawn
    assert (await consistent(client, restaurant, dishes))["reviewCount"] == 1


async def test_suspensions_race_edits_hides_and_new_reviews(client, services):
    """Whatever interleaving of suspensions, lifts, edits, hides and restores, every counter
    ends equal to what the lists show."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    dishes = [await add_dish(client, owner, restaurant, name=f"菜{i}") for i in range(3)]
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    rng = random.Random(18)
    authors = [(await register(client))[0] for _ in range(6)]
    written = [
        await review(client, token, dishes[i % 3], rng.randint(1, 5)) for i, token in enumerate(authors)
    ]
    cases = [await report(client, reporter, rid) for rid in written]
    actions = []
    for i, (token, rid, case) in enumerate(zip(authors, written, cases, strict=True)):
        actions += [
            gql(
                client, MODERATE, {"r": case, "a": rng.choice(["SUSPEND_USER", "UNSUSPEND_USER"])}, moderator
            ),
            gql(
                client, MODERATE, {"r": case, "a": rng.choice(["HIDE_CONTENT", "RESTORE_CONTENT"])}, moderator
            ),
            gql(client, EDIT, {"id": rid, "i": {"rating": rng.randint(1, 5)}}, token, expect_errors=True),
            gql(client, MODERATE, {"r": case, "a": "SUSPEND_USER"}, moderator),
        ]
        if i % 2:
            actions.append(
                gql(
                    client,
                    REVIEW,
                    {"i": {"dishId": dishes[(i + 1) % 3], "rating": 4}},
                    token,
                    expect_errors=True,
                )
            )
    rng.shuffle(actions)
    await asyncio.gather(*actions)
    await consistent(client, restaurant, dishes)
    for case in cases:  # every author back and every review shown: each counted exactly once
        await gql(client, MODERATE, {"r": case, "a": "UNSUSPEND_USER"}, moderator)
        await gql(client, MODERATE, {"r": case, "a": "RESTORE_CONTENT"}, moderator)
    summary = await consistent(client, restaurant, dishes)
    assert 6 <= summary["reviewCount"] <= 9  # the six, and second reviews written while not suspended


VOTE = "mutation($r: ID!) { voteReviewHelpful(reviewId: $r) { errors { code } } }"
HELPFUL = "query($id: ID!) { dish(id: $id) { reviews(sort: MOST_HELPFUL) { edges { node { id helpfulCount } } } } }"


async def helpful_counts(client, dish) -> dict[str, int]:
    edges = (await gql(client, HELPFUL, {"id": dish}))["data"]["dish"]["reviews"]["edges"]
    return {e["node"]["id"]: e["node"]["helpfulCount"] for e in edges}


async def test_sock_puppet_votes_leave_the_helpful_counts_while_suspended(client, services):
    """刷赞: puppets upvote one review to the top of "most helpful"; suspending them takes their
    votes out of the count (and the order) until the suspension ends, then every vote is back,
    including one cast after the suspension ran out but before the job settled it."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant, name="酸菜鱼")
    moderator, _ = await account_with_role(client, services)
    honest = await review(client, (await register(client))[0], dish, 5)
    boosted = await review(client, (await register(client))[0], dish, 5)
    fan, _, _ = await register(client)
    assert (await gql(client, VOTE, {"r": honest}, fan))["data"]["voteReviewHelpful"]["errors"] == []
    puppets = [await register(client, name=f"小号{i}") for i in range(3)]
    for token, _, _ in puppets[:2]:
        assert (await gql(client, VOTE, {"r": boosted}, token))["data"]["voteReviewHelpful"]["errors"] == []
    assert await helpful_counts(client, dish) == {boosted: 2, honest: 1}

    reporter, _, _ = await register(client)
    cases = [await report(client, reporter, user_id) for _, user_id, _ in puppets]
    for case in cases:
        await gql(client, MODERATE, {"r": case, "a": "SUSPEND_USER", "d": 1}, moderator)
    counts = await helpful_counts(client, dish)
    assert counts == {honest: 1, boosted: 0} and list(counts) == [honest, boosted]

    # The third puppet's suspension runs out; it votes before the job has put its votes back.
    _, third_id, third_email = puppets[2]
    pk = decode(third_id, "User", "id")
    await User.filter(id=pk).update(suspended_until=datetime.now(UTC) - timedelta(minutes=1))
    token = (await gql(client, LOGIN, {"e": third_email, "p": "correct horse battery"}))["data"]["login"]["token"]
    assert (await gql(client, VOTE, {"r": boosted}, token))["data"]["voteReviewHelpful"]["errors"] == []
    assert (await helpful_counts(client, dish))[boosted] == 0
    assert (await run_job(services, SETTLE))["restored"] >= 1  # ours among any others due
    assert (await helpful_counts(client, dish))[boosted] == 1

    for case in cases[:2]:
        await gql(client, MODERATE, {"r": case, "a": "UNSUSPEND_USER"}, moderator)
    assert await helpful_counts(client, dish) == {boosted: 3, honest: 1}
