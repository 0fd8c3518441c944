"""Money paths under a hostile or unlucky client, through the endpoint (both backends).

- A claim made through a FEED source keeps only the content's id: the referral credit at
  redemption still depends on that review or meal standing, as for a REVIEW source.
- Placing the provider's order (a network call) holds no database row: other claims of the deal
  go on while one order is still being placed.
"""

from __future__ import annotations

import asyncio

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_deals import CREDITS, REDEEM, a_deal, claim, code_of
from tests.test_visibility import moderate

REVIEW = """
mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }
"""


async def _review(client, owner: str, restaurant: str, author: str, dish_name: str) -> str:
    dish = await add_dish(client, owner, restaurant, name=dish_name)
    body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "好吃"}}, author)
    payload = body["data"]["createReview"]
    assert payload["errors"] == [], payload
    return payload["review"]["id"]


async def _credits(client, token: str) -> int:
    return (await gql(client, CREDITS, token=token))["data"]["me"]["referralCredits"]


async def test_a_feed_source_moderated_after_the_claim_earns_no_referral_credit(client, services):
    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot())
    _, _, deal = await a_deal(client, owner, restaurant, perUserLimit=5)
    author, _, _ = await register(client, name="点评达人")
    standing, hidden, removed = [
        await _review(client, owner, restaurant, author, dish) for dish in ("毛肚", "鸭肠", "黄喉")
    ]
    reader, _, _ = await register(client)
    via = {
        review: await claim(client, reader, deal, source={"type": "FEED", "id": review})
        for review in (standing, hidden, removed)
    }
    assert all(c["errors"] == [] and c["claim"]["source"] == "FEED" for c in via.values()), via

    await moderate(client, moderator, hidden, "HIDE_CONTENT")
    await moderate(client, moderator, removed, "REMOVE_CONTENT")
    for review in (hidden, removed):
        redeemed = await gql(client, REDEEM, {"c": code_of(via[review])}, owner)
        assert redeemed["data"]["redeemVoucher"]["errors"] == []  # still a good voucher
    assert await _credits(client, author) == 0  # but moderated content pays its author nothing
    redeemed = await gql(client, REDEEM, {"c": code_of(via[standing])}, owner)
    assert redeemed["data"]["redeemVoucher"]["errors"] == []
    assert await _credits(client, author) == 500  # content still standing credits as before


async def test_an_order_being_placed_with_the_provider_holds_up_no_other_claim(client, services):
    _, _, deal = await a_deal(client, priceCents=3900, quantity=10)
    first, second = (await register(client))[0], (await register(client))[0]
    provider = services.payments
    original = provider.create_intent
    placing, release = asyncio.Event(), asyncio.Event()

    async def stalled_once(*args, **kwargs):
        if not placing.is_set():  # the first order: the provider answers slowly
            placing.set()
            await release.wait()
        return await original(*args, **kwargs)

    provider.create_intent = stalled_once
    try:
        slow = asyncio.ensure_future(claim(client, first, deal))
        await asyncio.wait_for(placing.wait(), 10)
        quick = asyncio.ensure_future(claim(client, second, deal))
        done, _ = await asyncio.wait({quick}, timeout=5)
        release.set()
        slow_payload, quick_payload = await asyncio.gather(slow, quick)
    finally:
        release.set()
        provider.create_intent = original
    assert quick in done, "a claim waited for another claim's order at the payment provider"
    for payload in (slow_payload, quick_payload):
        assert payload["errors"] == [] and payload["claim"]["status"] == "PENDING_PAYMENT", payload
    assert quick_payload["claim"]["deal"]["remaining"] in (8, 9)
