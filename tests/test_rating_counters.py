"""Restaurant rating counters under parallel writes (issue 15): whatever interleaving of new
reviews, edits, hides, restores, deletions and verifying redemptions, the summary equals what the
visible reviews say."""

from __future__ import annotations

import asyncio
import random

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_deals import REDEEM, a_deal, claim, code_of
from tests.test_moderation import MODERATE, REPORT
from tests.test_restaurant_page import DELETE, EDIT, LIST, REVIEW, review, summary

WEIGHT = 2


async def expected(client, restaurant) -> dict:
    """The summary recomputed from the visible review list."""
    body = await gql(client, LIST, {"id": restaurant, "s": "NEWEST", "first": 100})
    rows = [e["node"] for e in body["data"]["restaurant"]["reviews"]["edges"]]
    weights = [WEIGHT if r["verified"] else 1 for r in rows]
    total = sum(weights)
    return {
        "reviewCount": len(rows),
        "verifiedReviewCount": sum(r["verified"] for r in rows),
        "averageRating": round(sum(r["rating"] * w for r, w in zip(rows, weights, strict=True)) / total, 2)
        if total
        else None,
        "distribution": [{"stars": s, "count": sum(r["rating"] == s for r in rows)} for s in range(5, 0, -1)],
    }


async def visible_summary(client, restaurant) -> dict:
    got = await summary(client, restaurant)
    got.pop("averageSpendCents")
    return got


async def test_parallel_reviews_edits_hides_and_deletions(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dishes = [await add_dish(client, owner, restaurant, name=f"菜{i}") for i in range(3)]
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    rng = random.Random(15)
    authors = [(await register(client))[0] for _ in range(8)]
    # a burst of new reviews
    made = await asyncio.gather(
        *(
            gql(client, REVIEW, {"i": {"dishId": rng.choice(dishes), "rating": rng.randint(1, 5)}}, token)
            for token in authors
        )
    )
    rows = [
        (token, m["data"]["createReview"]["review"]["id"]) for token, m in zip(authors, made, strict=True)
    ]
    reports = {}
    for _, rid in rows:
        body = await gql(client, REPORT, {"t": rid, "r": "SPAM"}, reporter)
        reports[rid] = body["data"]["reportContent"]["report"]["id"]
    # then everything at once: edits, hides, restores, deletions, on overlapping reviews
    actions = []
    for token, rid in rows:
        actions.append(gql(client, EDIT, {"id": rid, "i": {"rating": rng.randint(1, 5)}}, token))
        actions.append(
            gql(
                client,
                MODERATE,
                {"r": reports[rid], "a": rng.choice(["HIDE_CONTENT", "RESTORE_CONTENT"])},
                moderator,
            )
        )
        actions.append(gql(client, EDIT, {"id": rid, "i": {"rating": rng.randint(1, 5)}}, token))
    for token, rid in rows[:3]:
        actions.append(gql(client, DELETE, {"id": rid}, token))
        actions.append(gql(client, MODERATE, {"r": reports[rid], "a": "HIDE_CONTENT"}, moderator))
    rng.shuffle(actions)
    await asyncio.gather(*actions)
    for _, rid in rows[3:]:  # bring every survivor back: each restore must add it exactly once
        await gql(client, MODERATE, {"r": reports[rid], "a": "RESTORE_CONTENT"}, moderator)
    want = await expected(client, restaurant)
    assert want["reviewCount"] == len(rows) - 3
    assert await visible_summary(client, restaurant) == want


async def test_verification_races_hide_and_edit(client, services):
    owner, restaurant, deal = await a_deal(client, perUserLimit=1, quantity=50)
    dish = await add_dish(client, owner, restaurant)
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    diners = [(await register(client))[0] for _ in range(6)]
    ids = [(await review(client, token, dish, 1 + i % 5))["id"] for i, token in enumerate(diners)]
    codes = [code_of(await claim(client, token, deal)) for token in diners]
    reports = [
        (await gql(client, REPORT, {"t": rid, "r": "SPAM"}, reporter))["data"]["reportContent"]["report"][
            "id"
        ]
        for rid in ids
    ]
    actions = []
    for i, (token, rid) in enumerate(zip(diners, ids, strict=True)):
        actions.append(gql(client, REDEEM, {"c": codes[i], "b": 5000}, owner))
        actions.append(gql(client, MODERATE, {"r": reports[i], "a": "HIDE_CONTENT"}, moderator))
        actions.append(gql(client, EDIT, {"id": rid, "i": {"rating": 5 - i % 5}}, token))
    random.Random(7).shuffle(actions)
    await asyncio.gather(*actions)
    for report in reports:
        await gql(client, MODERATE, {"r": report, "a": "RESTORE_CONTENT"}, moderator)
    want = await expected(client, restaurant)
    assert want["verifiedReviewCount"] == len(diners)
    assert await visible_summary(client, restaurant) == want
    assert (await summary(client, restaurant))["averageSpendCents"] == 5000


async def test_review_written_while_the_voucher_is_redeemed_is_verified(client):
    owner, restaurant, deal = await a_deal(client, perUserLimit=1, quantity=50)
    dish = await add_dish(client, owner, restaurant)
    diners = [(await register(client))[0] for _ in range(6)]
    codes = [code_of(await claim(client, token, deal)) for token in diners]
    results = await asyncio.gather(
        *(gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4}}, token) for token in diners),
        *(gql(client, REDEEM, {"c": code}, owner) for code in codes),
    )
    assert all(not r["data"][next(iter(r["data"]))]["errors"] for r in results)
    want = await expected(client, restaurant)
    assert want["verifiedReviewCount"] == len(diners)
    assert await visible_summary(client, restaurant) == want


async def test_menu_edits_racing_reviews_keep_the_dish_counters(client):
    """updateDish writes only the fields asked for: a save of the row read before a review
    landed wrote the old rating counters back (the review lost from the dish's count)."""
    update = "mutation($d: ID!, $i: DishUpdateInput!) { updateDish(dishId: $d, input: $i) { errors { code } } }"
    count = "query($id: ID!) { dish(id: $id) { reviewCount reviews(first: 50) { totalCount } } }"
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant, name="口水鸡")
    diners = [(await register(client))[0] for _ in range(8)]
    calls = []
    for n, token in enumerate(diners):
        calls.append(gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4, "body": "麻辣鲜香"}}, token))
        calls.append(gql(client, update, {"d": dish, "i": {"priceCents": 2800 + n}}, owner))
    await asyncio.gather(*calls)
    got = (await gql(client, count, {"id": dish}))["data"]["dish"]
    assert got["reviewCount"] == got["reviews"]["totalCount"] == 8, got
