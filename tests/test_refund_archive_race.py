"""A diner's refundClaim racing the restaurant's archiveRestaurant (闭店退) over the same paid
vouchers: both lock the voucher's hold row before its claim row (resolvers/deals/deals.py, "Lock
order"), so neither is killed by PostgreSQL's deadlock detector (one of them used to answer
UNAVAILABLE). Each voucher ends REFUNDED once, by whichever got it first, with its money, stock
and hold back once and its holder told once, by the one that refunded it.

Each request is its own ASGI request (own context); on the services backend each runs its
transaction on its own pooled connection, so the row locks really race. The refunds are sent a
few milliseconds apart after the close, each round at another pace, so some start while the
close is in its transaction (all sent at once, they all finish before it starts or queue behind it).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from models.deals import Claim, Deal, RefundRetry, UserDealCount
from schema.ids import decode
from tests.helpers import gql, register
from tests.test_correctness_money import ARCHIVE, KINDS, pay, refunds_of
from tests.test_deals import REFUND, a_deal, claim

DINERS = 8
PER_DINER = 2
PRICE = 6600
PACES_MS = (0.5, 1, 1.5, 2, 3, 4, 5, 6)  # between one refund and the next, one round each


async def _paid_vouchers(client, services, deal: str) -> list[tuple[str, dict]]:
    """DINERS diners holding PER_DINER paid vouchers each: (diner token, claim payload)."""
    held = []
    for _ in range(DINERS):
        token, _, _ = await register(client)
        for _ in range(PER_DINER):
            payload = await claim(client, token, deal)
            assert payload["errors"] == [], payload["errors"]
            assert await pay(client, services, payload["claim"]["payment"]["intentId"]) == 200
            held.append((token, payload))
    return held


async def _answer(client, query: str, variables: dict, token: str, delay: float) -> dict[str, Any]:
    """The request after `delay` seconds, whatever it answers (UNAVAILABLE is an HTTP 503)."""
    await asyncio.sleep(delay)
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return {"status": response.status_code, **response.json()}


async def test_refunds_racing_the_archive_each_refund_once_and_never_deadlock(client, services):
    for pace in PACES_MS:
        owner, restaurant, deal = await a_deal(
            client, priceCents=PRICE, quantity=DINERS * PER_DINER, perUserLimit=PER_DINER
        )
        held = await _paid_vouchers(client, services, deal)
        closing, *answers = await asyncio.gather(
            _answer(client, ARCHIVE, {"r": restaurant}, owner, 0),
            *(
                _answer(client, REFUND, {"c": payload["claim"]["id"]}, token, i * pace / 1000)
                for i, (token, payload) in enumerate(held)
            ),
        )
        seen = json.dumps([closing, *answers])
        assert "UNAVAILABLE" not in seen and "INTERNAL" not in seen, (pace, seen)
        assert all(a["status"] == 200 and "errors" not in a for a in [closing, *answers]), (pace, seen)
        assert closing["data"]["archiveRestaurant"]["errors"] == [], closing

        # Each refund either took its voucher (REFUNDED) or found it refunded by the close.
        won: Counter[str] = Counter()
        lost: Counter[str] = Counter()
        for (token, _), answer in zip(held, answers, strict=True):
            refund = answer["data"]["refundClaim"]
            if refund["errors"]:
                assert refund["errors"] == [{"code": "CANCELLED"}], refund
                lost[token] += 1
            else:
                assert refund["claim"]["status"] == "REFUNDED", refund
                won[token] += 1

        pk = decode(deal, "Deal", "id")
        claim_ids = [decode(payload["claim"]["id"], "Claim", "id") for _, payload in held]
        statuses = await Claim.filter(id__in=claim_ids).values_list("status", flat=True)
        assert statuses == ["refunded"] * len(held), statuses
        intents = [payload["claim"]["payment"]["intentId"] for _, payload in held]
        for intent in intents:  # the money back exactly once, in full
            assert refunds_of(services, intent) == [(intent, PRICE)]
        assert not await RefundRetry.exists(payment_intent__in=intents)  # nothing left owed
        # Stock and holds back once per voucher, whoever refunded it.
        closed = await Deal.get(id=pk)
        assert (closed.claimed_count, closed.status) == (0, "ended")
        assert set(await UserDealCount.filter(deal_id=pk).values_list("held", flat=True)) == {0}
        # Each holder told once per refund they made, and once by the close if it refunded any.
        for token in dict.fromkeys(t for t, _ in held):
            edges = (await gql(client, KINDS, token=token))["data"]["notifications"]["edges"]
            kinds = Counter(e["node"]["kind"] for e in edges)
            assert kinds["refund_completed"] == won[token], (pace, kinds)
            assert kinds["voucher_refunded"] == (1 if lost[token] else 0), (pace, kinds)
