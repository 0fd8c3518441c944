"""Money: a diner who paid for no voucher gets the money back, exactly once (issue 20, 1-2).

The provider's "paid" webhook goes through POST /payments/webhook; refunds through refundClaim;
expiry of unpaid claims through the scheduled job (in-process loop and `app.py worker --once`).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

from core.payments import webhook_body
from models.deals import Claim, Deal, RefundRetry
from schema.ids import decode
from tests.helpers import gql, register
from tests.test_deals import REFUND, a_deal, claim
from tests.test_personal_data import cli

DEAL = "query($d: ID!) { deal(id: $d) { remaining } }"
TOLD = "{ notifications(first: 20) { edges { node { kind message } } } }"
MINE = "{ myClaims(first: 50) { edges { node { id status } } } }"


async def pay(client, services, intent: str) -> int:
    body = webhook_body(intent)
    response = await client.post(
        "/payments/webhook", content=body, headers={"X-Signature": services.payments.sign(body)}
    )
    return response.status_code


def refunds_of(services, intent: str) -> list[tuple[str, int]]:
    return [r for r in services.payments.refunds if r[0] == intent]


async def expire(payload) -> None:
    """Time travel: the claim's payment window closed a second ago."""
    await Claim.filter(id=decode(payload["claim"]["id"], "Claim", "id")).update(
        pay_by=datetime.now(UTC) - timedelta(seconds=1)
    )


async def test_payment_landing_after_a_refund_is_refunded(client, services):
    _, _, deal = await a_deal(client, priceCents=9900, quantity=5)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    refunded = (await gql(client, REFUND, {"c": held["claim"]["id"]}, diner))["data"]["refundClaim"]
    assert refunded["claim"]["status"] == "CANCELLED"  # nothing was paid yet
    assert refunds_of(services, intent) == []
    assert await pay(client, services, intent) == 200
    assert refunds_of(services, intent) == [(intent, 9900)]
    assert await pay(client, services, intent) == 200  # the provider retries its webhook
    assert refunds_of(services, intent) == [(intent, 9900)]
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    assert [e["node"]["status"] for e in mine] == ["REFUNDED"]
    # The diner hears of the money going back once (no 购买成功: no voucher was issued).
    told = (await gql(client, TOLD, token=diner))["data"]["notifications"]["edges"]
    assert [e["node"]["kind"] for e in told] == ["refund_completed"]
    assert "退款已受理" in told[0]["node"]["message"] and "¥99.00" in told[0]["node"]["message"]


async def test_refund_racing_the_webhook_always_returns_the_money(client, services):
    _, _, deal = await a_deal(client, priceCents=9900, quantity=40, perUserLimit=20)
    diner, _, _ = await register(client)
    held = [await claim(client, diner, deal) for _ in range(20)]
    await asyncio.gather(
        *(
            call
            for payload in held
            for call in (
                gql(client, REFUND, {"c": payload["claim"]["id"]}, diner),
                pay(client, services, payload["claim"]["payment"]["intentId"]),
            )
        )
    )
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    assert {e["node"]["status"] for e in mine} == {"REFUNDED"}
    counts = Counter(intent for intent, _ in services.payments.refunds)
    assert [counts[p["claim"]["payment"]["intentId"]] for p in held] == [1] * 20
    assert (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 40


async def test_paid_voucher_refunded_once_even_when_the_webhook_repeats(client, services):
    _, _, deal = await a_deal(client, priceCents=5000, quantity=5)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    assert await pay(client, services, intent) == 200
    await gql(client, REFUND, {"c": held["claim"]["id"]}, diner)
    assert await pay(client, services, intent) == 200
    assert refunds_of(services, intent) == [(intent, 5000)]


async def test_a_refund_is_owed_in_the_claims_own_commit_before_the_provider_is_asked(
    client, services, monkeypatch
):
    """The debt is written with the claim's REFUNDED status, so a crash between the commit and the
    provider call leaves it for the retry job; once the provider takes it, nothing is owed."""
    _, _, deal = await a_deal(client, priceCents=6600, quantity=5)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    assert await pay(client, services, intent) == 200
    owed_when_asked: list[bool] = []
    asked = services.payments.refund

    async def watching(intent_id: str, amount_cents: int) -> None:
        owed_when_asked.append(await RefundRetry.exists(payment_intent=intent_id))
        await asked(intent_id, amount_cents)

    monkeypatch.setattr(services.payments, "refund", watching)
    refund = (await gql(client, REFUND, {"c": held["claim"]["id"]}, diner))["data"]["refundClaim"]
    assert refund["claim"]["status"] == "REFUNDED"
    assert owed_when_asked == [True] and refunds_of(services, intent) == [(intent, 6600)]
    assert not await RefundRetry.exists(payment_intent=intent)  # settled


async def test_unpaid_claims_give_stock_back_on_schedule_and_late_payment_is_refunded(client, services):
    _, _, deal = await a_deal(client, priceCents=9900, quantity=1)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    assert (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 0
    await expire(held)
    # Nobody else claims: the scheduled job (every JOB_INTERVAL_SECONDS) gives the stock back.
    for _ in range(50):
        if (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 1:
            break
        await asyncio.sleep(0.1)
    assert (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 1
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    assert [e["node"]["status"] for e in mine] == ["CANCELLED"]  # never paid: not EXPIRED/REFUNDED
    intent = held["claim"]["payment"]["intentId"]
    await asyncio.gather(pay(client, services, intent), pay(client, services, intent))
    assert refunds_of(services, intent) == [(intent, 9900)]
    # The stock is really back: someone else gets the voucher.
    other, _, _ = await register(client)
    assert (await claim(client, other, deal))["claim"]["status"] == "PENDING_PAYMENT"


async def test_worker_command_releases_unpaid_claims(client, settings):
    _, _, deal = await a_deal(client, priceCents=100, quantity=1)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    await expire(held)
    done = await cli(settings, "worker", "--once")
    assert done.returncode == 0, done.stderr
    assert "release-unpaid-claims" in json.loads(done.stdout)
    assert (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 1


PAY_BY = """
mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) {
  claim { id status payment { intentId payBy } } errors { code } } }
"""


async def test_money_landing_after_the_use_window_is_refunded_not_issued(client, services):
    """A voucher paid after it could last be used would be issued only to expire: the money
    goes back at once (whatever the deal's 过期自动退 setting) and the stock is returned."""
    _, _, deal = await a_deal(client, priceCents=4900, quantity=1)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    await Claim.filter(payment_intent=intent).update(valid_until=datetime.now(UTC) - timedelta(seconds=1))
    assert await pay(client, services, intent) == 200
    assert await pay(client, services, intent) == 200  # a repeated delivery changes nothing
    assert refunds_of(services, intent) == [(intent, 4900)]
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    assert [e["node"]["status"] for e in mine] == ["REFUNDED"]
    assert (await gql(client, DEAL, {"d": deal}))["data"]["deal"]["remaining"] == 1
    assert not await RefundRetry.exists(payment_intent=intent)  # the provider took it


async def test_paid_vouchers_are_not_sold_in_their_last_minutes(client):
    """Paying takes up to 15 minutes: a voucher whose use ends sooner is not sold (a free one is)."""
    soon = datetime.now(UTC) + timedelta(minutes=5)
    owner, restaurant, deal = await a_deal(client, priceCents=4900, endsAt=soon.isoformat())
    diner, _, _ = await register(client)
    late = (await gql(client, PAY_BY, {"d": deal, "k": "late-1"}, diner))["data"]["claimDeal"]
    assert late["errors"] == [{"code": "DEAL_EXPIRED"}]
    _, _, free = await a_deal(client, owner, restaurant, endsAt=soon.isoformat())
    assert (await claim(client, diner, free))["claim"]["status"] == "ISSUED"
    later = datetime.now(UTC) + timedelta(minutes=40)
    _, _, paid = await a_deal(client, owner, restaurant, priceCents=4900, endsAt=later.isoformat())
    body = (await gql(client, PAY_BY, {"d": paid, "k": "late-2"}, diner))["data"]["claimDeal"]
    assert datetime.fromisoformat(body["claim"]["payment"]["payBy"]) <= later


ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
KINDS = "{ notifications(first: 20) { edges { node { kind } } } }"


async def test_closing_a_restaurant_refunds_its_unused_vouchers(client, services):
    """闭店退: paid vouchers go back with their money, unpaid and free ones are cancelled, used
    ones stay used; the deals end; a till racing the closure either redeems or is refused."""
    owner, restaurant, paid_deal = await a_deal(client, priceCents=8800, quantity=10, perUserLimit=5)
    _, _, free_deal = await a_deal(client, owner, restaurant, quantity=10, perUserLimit=2)
    diner, _, _ = await register(client)
    paid = [await claim(client, diner, paid_deal) for _ in range(3)]
    for held in paid[:2]:
        assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    free = await claim(client, diner, free_deal)
    used = await gql(client, REDEEM_FOR_CLOSURE, {"c": free["claim"]["code"]}, owner)
    assert used["data"]["redeemVoucher"]["errors"] == []
    other = await claim(client, diner, free_deal)
    closing = await gql(client, ARCHIVE, {"r": restaurant}, owner)
    assert closing["data"]["archiveRestaurant"]["errors"] == []
    statuses = {
        e["node"]["id"]: e["node"]["status"]
        for e in (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    }
    assert [statuses[p["claim"]["id"]] for p in paid] == ["REFUNDED", "REFUNDED", "CANCELLED"]
    assert statuses[free["claim"]["id"]] == "REDEEMED"
    assert statuses[other["claim"]["id"]] == "CANCELLED"
    for held in paid[:2]:
        intent = held["claim"]["payment"]["intentId"]
        assert refunds_of(services, intent) == [(intent, 8800)]
    # The unpaid one paid later: refunded by the webhook, once.
    late = paid[2]["claim"]["payment"]["intentId"]
    assert await pay(client, services, late) == 200
    assert refunds_of(services, late) == [(late, 8800)]
    assert not await RefundRetry.exists(payment_intent__in=[p["claim"]["payment"]["intentId"] for p in paid])
    kinds = [
        e["node"]["kind"] for e in (await gql(client, KINDS, token=diner))["data"]["notifications"]["edges"]
    ]
    assert kinds.count("voucher_refunded") == 1
    # The closure's own notice covers its refunds (no 退款已受理 per voucher besides); the late
    # payment refunded by the webhook, which the closure notice did not count, is told once.
    assert kinds.count("refund_completed") == 1 and kinds.count("voucher_paid") == 2
    told = await gql(client, "{ notifications(first: 5) { edges { node { kind message } } } }", token=diner)
    message = next(
        e["node"]["message"]
        for e in told["data"]["notifications"]["edges"]
        if e["node"]["kind"] == "voucher_refunded"
    )
    assert "重庆火锅" in message and "¥176.00" in message and "1 张免费券" in message, message
    # The holder still sees what each voucher was for, though the deal left the shelf.
    deals_seen = await gql(
        client, "{ myClaims(first: 10) { edges { node { deal { id title } } } } }", token=diner
    )
    assert all(e["node"]["deal"]["title"] for e in deals_seen["data"]["myClaims"]["edges"])
    assert await Claim.filter(deal_id=decode(paid_deal, "Deal", "id"), status="issued").count() == 0
    deals = Deal.filter(restaurant_id=decode(restaurant, "Restaurant", "id"))
    assert set(await deals.values_list("status", flat=True)) == {"ended"}
    assert (await Deal.get(id=decode(paid_deal, "Deal", "id"))).claimed_count == 0  # stock back
    again = await gql(client, REFUND, {"c": paid[0]["claim"]["id"]}, diner)
    assert again["data"]["refundClaim"]["errors"][0]["code"] == "CANCELLED"


REDEEM_FOR_CLOSURE = "mutation($c: String!) { redeemVoucher(code: $c) { errors { code } } }"
CODES = "{ myClaims(first: 50) { edges { node { id code } } } }"


async def test_a_redemption_racing_the_closure_is_either_used_or_refunded(client, services):
    owner, restaurant, deal = await a_deal(client, priceCents=3000, quantity=10, perUserLimit=10)
    diner, _, _ = await register(client)
    held = [await claim(client, diner, deal) for _ in range(6)]
    for payload in held:
        assert await pay(client, services, payload["claim"]["payment"]["intentId"]) == 200
    shown = (await gql(client, CODES, token=diner))["data"]["myClaims"]["edges"]
    paid = {e["node"]["id"]: e["node"]["code"] for e in shown}
    codes = [paid[p["claim"]["id"]] for p in held]  # shown once paid (null while unpaid)
    await asyncio.gather(
        gql(client, ARCHIVE, {"r": restaurant}, owner),
        *(gql(client, REDEEM_FOR_CLOSURE, {"c": code}, owner) for code in codes),
    )
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    statuses = Counter(e["node"]["status"] for e in mine)
    assert set(statuses) <= {"REDEEMED", "REFUNDED"} and sum(statuses.values()) == 6
    refunded = Counter(intent for intent, _ in services.payments.refunds)
    assert sum(refunded[p["claim"]["payment"]["intentId"]] for p in held) == statuses["REFUNDED"]


async def test_a_voucher_past_its_use_window_is_not_refunded_before_the_expiry_job(client, services):
    """Between the end of the use window and the expiry job's run, a voucher of a deal that
    doesn't refund on expiry is expired: neither refundClaim nor a closing restaurant pays it."""
    owner, restaurant, deal = await a_deal(
        client, priceCents=5000, quantity=5, perUserLimit=2, refundAnytime=True
    )
    diner, _, _ = await register(client)
    held = [await claim(client, diner, deal) for _ in range(2)]
    for payload in held:
        assert await pay(client, services, payload["claim"]["payment"]["intentId"]) == 200
    await Claim.filter(deal_id=decode(deal, "Deal", "id")).update(
        valid_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    refused = await gql(client, REFUND, {"c": held[0]["claim"]["id"]}, diner)
    assert refused["data"]["refundClaim"]["errors"] == [{"code": "VOUCHER_EXPIRED"}]
    assert (await gql(client, ARCHIVE, {"r": restaurant}, owner))["data"]["archiveRestaurant"]["errors"] == []
    assert services.payments.refunds == [] or all(
        r[0] not in [p["claim"]["payment"]["intentId"] for p in held] for r in services.payments.refunds
    )
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
    # Left for the expiry job (which runs every second here, so it may have marked them already):
    # never refunded or cancelled by the request or the closure.
    assert {e["node"]["status"] for e in mine} <= {"ISSUED", "EXPIRED"}, mine


async def test_a_busy_restaurant_closes_on_the_first_try(client):
    """archiveRestaurant while its diners keep claiming: the close takes the holders' rows before
    the deals, as claims do, so it doesn't deadlock with them (it used to answer UNAVAILABLE
    most of the time on PostgreSQL); afterwards no voucher is open and the stock is exact."""
    import uuid

    archive = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
    take = "mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) { errors { code } } }"
    for _ in range(4):
        owner, restaurant, deal = await a_deal(client, quantity=100, perUserLimit=10)
        diners = [(await register(client))[0] for _ in range(5)]
        for token in diners:
            assert (await claim(client, token, deal))["errors"] == []
        calls = [gql(client, take, {"d": deal, "k": uuid.uuid4().hex}, t, expect_errors=True) for t in diners * 3]
        calls.insert(7, gql(client, archive, {"r": restaurant}, owner, expect_errors=True))
        answers = await asyncio.gather(*calls)
        assert "UNAVAILABLE" not in json.dumps(answers) and "INTERNAL" not in json.dumps(answers), answers
        assert answers[7]["data"]["archiveRestaurant"]["errors"] == []
        pk = decode(deal, "Deal", "id")
        assert not await Claim.filter(deal_id=pk, status__in=["issued", "pending_payment"]).exists()
        assert (await Deal.get(id=pk)).claimed_count == 0
