"""推荐有礼 pays a referrer once per diner they bring to a restaurant: many vouchers claimed through
one friend's profile (and redeemed by a colluding till) earn the friend one credit, not one each."""

from __future__ import annotations

import asyncio

from tests.helpers import gql, register
from tests.test_deals import CREDITS, REDEEM, a_deal, claim, code_of


async def test_a_referrer_is_paid_once_per_diner_per_restaurant_however_many_vouchers(client):
    owner, restaurant, deal = await a_deal(client, perUserLimit=10)
    friend, friend_id, _ = await register(client, name="推荐人")
    diner, _, _ = await register(client, name="食客")
    via_profile = {"type": "PROFILE", "id": friend_id}
    held = [await claim(client, diner, deal, key=f"k{i}", source=via_profile) for i in range(4)]
    assert all(h["errors"] == [] for h in held)
    answers = await asyncio.gather(*(gql(client, REDEEM, {"c": code_of(h)}, owner) for h in held))
    assert all(a["data"]["redeemVoucher"]["errors"] == [] for a in answers)
    assert (await gql(client, CREDITS, token=friend))["data"]["me"]["referralCredits"] == 500

    other, _, _ = await register(client, name="另一位食客")  # another diner brought: paid again
    theirs = await claim(client, other, deal, source=via_profile)
    await gql(client, REDEEM, {"c": code_of(theirs)}, owner)
    assert (await gql(client, CREDITS, token=friend))["data"]["me"]["referralCredits"] == 1000
