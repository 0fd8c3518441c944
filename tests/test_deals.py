"""Deals, vouchers, payment, attribution, referral credit and insights, through the endpoint."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from core.payments import webhook_body
from models.deals import Claim, Deal
from models.restaurants import Restaurant
from resolvers.deals.reads import deal_with_restaurant
from schema.ids import decode
from tests.helpers import accept_staff, add_dish, gql, open_restaurant, random_spot, register

CREATE = """
mutation($i: DealInput!) { createDeal(input: $i) {
  deal { id title priceCents originalPriceCents currency quantity remaining perUserLimit status }
  errors { field code message } } }
"""
CLAIM = """
mutation($d: ID!, $k: String!, $s: AttributionInput) { claimDeal(dealId: $d, idempotencyKey: $k, source: $s) {
  claim { id code status source qrPayload payment { intentId amountCents } deal { id remaining } }
  errors { field code message } } }
"""
REDEEM = """
mutation($c: String!, $b: Int) { redeemVoucher(code: $c, billCents: $b) {
  claim { status billCents redeemedAt } errors { field code } } }
"""
VIEW = "mutation($d: ID!, $s: AttributionInput) { recordDealView(dealId: $d, source: $s) }"
STATUS = "mutation($d: ID!, $s: DealStatus!) { setDealStatus(dealId: $d, status: $s) { deal { status } errors { code } } }"
REFUND = "mutation($c: ID!) { refundClaim(claimId: $c) { claim { status } errors { code } } }"
SHARE = "mutation($d: ID!) { shareDeal(dealId: $d) { token url errors { code } } }"
CREDITS = "{ me { referralCredits } }"
INSIGHTS = """
query($r: ID!, $from: DateTime!, $to: DateTime!) { restaurantInsights(restaurantId: $r, from: $from, to: $to) {
  funnel { views claims redemptions } bySource { type views claims redemptions }
  averageTicketCents repeatCustomerRate visitsPerCustomerPerWeek customers newCustomers returningCustomers } }
"""


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def deal_input(restaurant: str, **changes) -> dict:
    """A createDeal input on sale now for a week, with `changes` over it."""
    return {
        "restaurantId": restaurant,
        "title": "双人火锅套餐",
        "priceCents": 0,
        "originalPriceCents": 19800,
        "quantity": 50,
        "perUserLimit": 1,
        "startsAt": iso(timedelta(minutes=-1)),
        "endsAt": iso(timedelta(days=7)),
        **changes,
    }


async def a_deal(client, owner=None, restaurant=None, **changes):
    if restaurant is None:
        owner, restaurant = await open_restaurant(client, *random_spot())
    deal = deal_input(restaurant, **changes)
    payload = (await gql(client, CREATE, {"i": deal}, owner))["data"]["createDeal"]
    assert payload["errors"] == [], payload["errors"]
    return owner, restaurant, payload["deal"]["id"]


async def claim(client, token, deal, key=None, source=None):
    body = await gql(client, CLAIM, {"d": deal, "k": key or uuid.uuid4().hex, "s": source}, token)
    return body["data"]["claimDeal"]


def code_of(payload):
    assert payload["errors"] == [], payload["errors"]
    return payload["claim"]["code"]


async def stored_code(claim_id: str) -> str:
    """The code in the database, whatever the API shows (null until paid, after it ends)."""
    return (await Claim.get(id=decode(claim_id, "Claim", "id"))).code


async def test_deal_creation_is_validated_and_staff_only(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    base = {
        "restaurantId": restaurant,
        "title": "套餐",
        "priceCents": 9900,
        "originalPriceCents": 19800,
        "quantity": 10,
        "startsAt": iso(timedelta(0)),
        "endsAt": iso(timedelta(days=3)),
    }
    denied = (await gql(client, CREATE, {"i": base}, diner))["data"]["createDeal"]["errors"]
    assert denied[0]["code"] == "FORBIDDEN"
    bad = {**base, "priceCents": 30000, "quantity": 0, "perUserLimit": 0, "endsAt": iso(timedelta(days=-1))}
    errors = (await gql(client, CREATE, {"i": bad}, owner))["data"]["createDeal"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} >= {
        ("priceCents", "INVALID"),
        ("quantity", "OUT_OF_RANGE"),
        ("endsAt", "INVALID_TIME_RANGE"),
    }
    assert [e["code"] for e in errors if e["field"] == "endsAt"] == ["INVALID_TIME_RANGE"]  # one reason
    over = {**base, "startsAt": iso(timedelta(days=-3)), "endsAt": iso(timedelta(hours=-1))}
    errors = (await gql(client, CREATE, {"i": over}, owner))["data"]["createDeal"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("endsAt", "IN_THE_PAST")]
    ok = (await gql(client, CREATE, {"i": base}, owner))["data"]["createDeal"]["deal"]
    assert (ok["currency"], ok["remaining"], ok["status"], ok["perUserLimit"]) == ("CNY", 10, "ACTIVE", 1)


async def test_two_hundred_parallel_claims_never_oversell(client):
    _, _, deal = await a_deal(client, quantity=50, perUserLimit=1)
    users = [await register(client) for _ in range(100)]
    attempts = [token for token, _, _ in users for _ in range(2)]
    results = await asyncio.gather(*(claim(client, token, deal) for token in attempts))
    issued = [r["claim"] for r in results if not r["errors"]]
    refused = {r["errors"][0]["code"] for r in results if r["errors"]}
    assert len(issued) == 50 and refused <= {"SOLD_OUT", "LIMIT_REACHED"}
    assert len({c["code"] for c in issued}) == 50
    pk = decode(deal, "Deal", "id")
    per_user = await Claim.filter(deal_id=pk).values_list("user_id", flat=True)
    assert len(per_user) == 50 and len(set(per_user)) == 50
    assert (await Deal.get(id=pk)).claimed_count == 50


async def test_same_key_same_claim_even_in_parallel(client):
    _, _, deal = await a_deal(client, quantity=5, perUserLimit=3)
    diner, _, _ = await register(client)
    results = await asyncio.gather(*(claim(client, diner, deal, key="retry-1") for _ in range(10)))
    assert {r["claim"]["id"] for r in results} == {results[0]["claim"]["id"]}
    assert all(r["errors"] == [] for r in results)
    assert await Claim.filter(deal_id=decode(deal, "Deal", "id")).count() == 1
    code = code_of(await claim(client, diner, deal, key="retry-2"))
    assert code != results[0]["claim"]["code"] and len(code) == 14 and code.count("-") == 2


async def test_distinct_codes_for_each_refusal(client):
    owner, restaurant, deal = await a_deal(client, quantity=1, perUserLimit=1)
    a, _, _ = await register(client)
    b, _, _ = await register(client)
    code_of(await claim(client, a, deal))
    assert (await claim(client, a, deal))["errors"][0]["code"] == "LIMIT_REACHED"
    assert (await claim(client, b, deal))["errors"][0]["code"] == "SOLD_OUT"
    _, _, later = await a_deal(client, owner, restaurant, startsAt=iso(timedelta(days=1)))
    assert (await claim(client, a, later))["errors"][0]["code"] == "DEAL_NOT_STARTED"
    _, _, paused = await a_deal(client, owner, restaurant)
    await gql(client, STATUS, {"d": paused, "s": "PAUSED"}, owner)
    assert (await claim(client, a, paused))["errors"][0]["code"] == "DEAL_INACTIVE"
    _, _, over = await a_deal(client, owner, restaurant)
    await Deal.filter(id=decode(over, "Deal", "id")).update(ends_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await claim(client, a, over))["errors"][0]["code"] == "DEAL_EXPIRED"
    anonymous = await gql(client, CLAIM, {"d": deal, "k": "x"}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_redeem_once_by_that_restaurants_staff(client):
    owner, restaurant, deal = await a_deal(client)
    other_owner, _ = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    code = code_of(await claim(client, diner, deal))
    # a diner works at no restaurant: told so, whatever the code (no probing which codes exist)
    for typed in (code, "NOPE-NOPE-NOPE"):
        assert (await gql(client, REDEEM, {"c": typed}, diner))["data"]["redeemVoucher"]["errors"][0][
            "code"
        ] == "FORBIDDEN"
    wrong = await gql(client, REDEEM, {"c": code}, other_owner)
    assert wrong["data"]["redeemVoucher"]["errors"][0]["code"] == "WRONG_RESTAURANT"
    typed = code.replace("-", " ").lower()  # read aloud, typed loosely
    done = (await gql(client, REDEEM, {"c": typed, "b": 23800}, owner))["data"]["redeemVoucher"]
    assert (
        done["errors"] == [] and done["claim"]["status"] == "REDEEMED" and done["claim"]["billCents"] == 23800
    )
    again = await gql(client, REDEEM, {"c": code}, owner)
    assert again["data"]["redeemVoucher"]["errors"][0]["code"] == "ALREADY_REDEEMED"
    unknown = await gql(client, REDEEM, {"c": "0000-0000-0000"}, owner)
    assert unknown["data"]["redeemVoucher"]["errors"][0]["code"] == "NOT_FOUND"
    # Vouchers expire with their validity.
    late = code_of(await claim(client, (await register(client))[0], deal))
    await Claim.filter(code=late.replace("-", "")).update(
        valid_until=datetime.now(UTC) - timedelta(seconds=1)
    )
    expired = await gql(client, REDEEM, {"c": late}, owner)
    assert expired["data"]["redeemVoucher"]["errors"][0]["code"] == "VOUCHER_EXPIRED"


async def test_prepaid_deal_payment_webhook_refund_and_expiry(client, services):
    owner, _, deal = await a_deal(client, priceCents=9900, quantity=1)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    assert held["claim"]["status"] == "PENDING_PAYMENT" and held["claim"]["payment"]["amountCents"] == 9900
    assert held["claim"]["deal"]["remaining"] == 0
    # Unpaid: no code or QR shown (a screenshot must not pass for a voucher); the till refuses it.
    assert (held["claim"]["code"], held["claim"]["qrPayload"]) == (None, None)
    unpaid = await gql(client, REDEEM, {"c": await stored_code(held["claim"]["id"])}, owner)
    assert unpaid["data"]["redeemVoucher"]["errors"][0]["code"] == "PAYMENT_REQUIRED"
    intent = held["claim"]["payment"]["intentId"]
    body = webhook_body(intent)
    forged = await client.post("/payments/webhook", content=body, headers={"X-Signature": "0" * 64})
    assert forged.status_code == 400
    paid = await client.post(
        "/payments/webhook", content=body, headers={"X-Signature": services.payments.sign(body)}
    )
    assert paid.status_code == 200
    mine_query = "{ myClaims { edges { node { id status code qrPayload } } } }"
    node = (await gql(client, mine_query, token=diner))["data"]["myClaims"]["edges"][0]["node"]
    assert node["status"] == "ISSUED"
    assert node["code"].replace("-", "") == await stored_code(node["id"]) and node["qrPayload"]
    refunded = await gql(client, REFUND, {"c": node["id"]}, diner)
    assert refunded["data"]["refundClaim"]["claim"]["status"] == "REFUNDED"
    node = (await gql(client, mine_query, token=diner))["data"]["myClaims"]["edges"][0]["node"]
    assert (node["status"], node["code"], node["qrPayload"]) == ("REFUNDED", None, None)
    assert (intent, 9900) in services.payments.refunds
    # Stock came back; an unpaid claim that runs out of time gives it back too.
    other, _, _ = await register(client)
    second = await claim(client, other, deal)
    assert second["claim"]["status"] == "PENDING_PAYMENT"
    third_diner, _, _ = await register(client)
    assert (await claim(client, third_diner, deal))["errors"][0]["code"] == "SOLD_OUT"
    await Claim.filter(id=decode(second["claim"]["id"], "Claim", "id")).update(
        pay_by=datetime.now(UTC) - timedelta(seconds=1)
    )
    # The job runner (every second in tests), not the claim, releases it (issue 18).
    for _ in range(50):
        again = await claim(client, third_diner, deal)
        if again["claim"] is not None:
            break
        await asyncio.sleep(0.1)
    assert again["claim"]["status"] == "PENDING_PAYMENT", again


REVIEW = """
mutation($i: ReviewInput!) { createReview(input: $i) { review { id deals { id title } } errors { code } } }
"""


async def test_attribution_credits_the_source_author_once_redeemed(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    _, _, deal = await a_deal(client, owner, restaurant, perUserLimit=3)
    author, author_id, _ = await register(client, name="点评达人")
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "好吃"}}, author))[
        "data"
    ]["createReview"]["review"]
    assert [d["id"] for d in review["deals"]] == [deal]
    reader, _, _ = await register(client)
    assert (await gql(client, VIEW, {"d": deal, "s": {"type": "REVIEW", "id": review["id"]}}, reader))[
        "data"
    ]["recordDealView"]
    via_review = await claim(client, reader, deal, source={"type": "REVIEW", "id": review["id"]})
    assert via_review["claim"]["source"] == "REVIEW"
    assert (await gql(client, CREDITS, token=author))["data"]["me"][
        "referralCredits"
    ] == 0  # not before a visit
    await gql(client, REDEEM, {"c": code_of(via_review), "b": 10000}, owner)
    assert (await gql(client, CREDITS, token=author))["data"]["me"]["referralCredits"] == 500
    # Self-referral earns nothing; a share link credits the sharer.
    own = await claim(client, author, deal, source={"type": "REVIEW", "id": review["id"]})
    await gql(client, REDEEM, {"c": code_of(own)}, owner)
    assert (await gql(client, CREDITS, token=author))["data"]["me"]["referralCredits"] == 500
    sharer, _, _ = await register(client)
    token = (await gql(client, SHARE, {"d": deal}, sharer))["data"]["shareDeal"]["token"]
    shared = await claim(client, reader, deal, source={"type": "SHARE_LINK", "id": token})
    assert shared["claim"]["source"] == "SHARE_LINK"
    await gql(client, REDEEM, {"c": code_of(shared)}, owner)
    assert (await gql(client, CREDITS, token=sharer))["data"]["me"]["referralCredits"] == 500
    forged = await claim(client, reader, deal, source={"type": "SHARE_LINK", "id": token[:-2] + "xx"})
    assert forged["errors"][0]["field"] == "source"
    private = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on User { referralCredits } } }",
        {"id": author_id},
        reader,
        expect_errors=True,
    )
    assert private["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_insights_match_a_hand_computed_fixture(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    _, _, deal = await a_deal(client, owner, restaurant, perUserLimit=2)
    author, _, _ = await register(client)
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 4}}, author))["data"][
        "createReview"
    ]["review"]["id"]
    a, _, _ = await register(client)
    b, _, _ = await register(client)
    c, _, _ = await register(client)
    source = {"type": "REVIEW", "id": review}
    for token in (a, b):
        await gql(client, VIEW, {"d": deal, "s": source}, token)
    await gql(client, VIEW, {"d": deal}, c)
    a1 = await claim(client, a, deal, source=source)
    a2 = await claim(client, a, deal)
    b1 = await claim(client, b, deal, source=source)
    await claim(client, c, deal)  # claimed, never redeemed
    for payload, bill in ((a1, 10000), (a2, 20000), (b1, 30000)):
        await gql(client, REDEEM, {"c": code_of(payload), "b": bill}, owner)
    start = datetime.now(UTC) - timedelta(days=14)
    window = {"r": restaurant, "from": start.isoformat(), "to": (start + timedelta(days=14, hours=1)).isoformat()}
    # a's two vouchers at one table are one visit ...
    data = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
    assert (data["customers"], data["repeatCustomerRate"], data["visitsPerCustomerPerWeek"]) == (2, 0.0, 0.5)
    # ... a day apart, two.
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await Claim.filter(id=decode(a1["claim"]["id"], "Claim", "id")).update(redeemed_at=yesterday)
    data = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
    # a's second voucher (DIRECT) has no DIRECT view of a's: the claim counts as its view.
    assert data["funnel"] == {"views": 4, "claims": 4, "redemptions": 3}
    assert sorted(data["bySource"], key=lambda s: s["type"]) == [
        {"type": "DIRECT", "views": 2, "claims": 2, "redemptions": 1},
        {"type": "REVIEW", "views": 2, "claims": 2, "redemptions": 2},
    ]
    assert data["averageTicketCents"] == 20000
    assert data["customers"] == 2 and data["repeatCustomerRate"] == 0.5
    assert data["visitsPerCustomerPerWeek"] == 0.75  # 3 visits / 2 customers / 2 weeks
    # Weeks still to come hold no visits: the same range running on into next year, same rate.
    ahead = {**window, "to": (start + timedelta(days=300)).isoformat()}
    assert (await gql(client, INSIGHTS, ahead, owner))["data"]["restaurantInsights"]["visitsPerCustomerPerWeek"] == 0.75
    assert (data["newCustomers"], data["returningCustomers"]) == (2, 0)
    stranger, _ = await open_restaurant(client, *random_spot())
    denied = await gql(client, INSIGHTS, window, stranger, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_deals_nearby_lists_only_deals_on_offer(client):
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng + 0.01)
    _, _, live = await a_deal(client, owner, restaurant)
    _, _, paused = await a_deal(client, owner, restaurant)
    _, _, future = await a_deal(client, owner, restaurant, startsAt=iso(timedelta(days=1)))
    await gql(client, STATUS, {"d": paused, "s": "ENDED"}, owner)
    query = "query($lat: Float!, $lng: Float!) { dealsNearby(lat: $lat, lng: $lng) { edges { node { id distanceKm restaurant { id } } } } }"
    edges = (await gql(client, query, {"lat": lat, "lng": lng}))["data"]["dealsNearby"]["edges"]
    assert [e["node"]["id"] for e in edges] == [live]
    assert 0.5 < edges[0]["node"]["distanceKm"] < 1.5 and future


async def test_the_claims_deal_read_matches_the_orm_read(client):
    """resolvers/deals/reads.py reads a deal and its restaurant with SQL built once per process:
    every column of both comes back as Tortoise's select_related read gives it."""
    _, _, deal_id = await a_deal(client)
    pk = decode(deal_id, "Deal", "id")
    expected = await Deal.filter(id=pk).select_related("restaurant").first()
    found = await deal_with_restaurant(pk)
    for model, mine, theirs in ((Deal, found, expected), (Restaurant, found.restaurant, expected.restaurant)):
        for name in model._meta.fields_db_projection:
            assert getattr(mine, name) == getattr(theirs, name), (model.__name__, name)
    assert await deal_with_restaurant(pk + 10_000_000) is None


STAFF_ADD = """
mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }
"""


async def test_staff_cannot_buy_their_own_restaurants_deals(client, services):
    """刷单: the restaurant's own people can't claim its deals (free or paid, fake sales and
    insights, money stuck in a voucher nobody would serve); a voucher bought before its holder
    was hired is served by a colleague, never by its holder."""
    owner, restaurant, deal = await a_deal(client, perUserLimit=1)
    _, _, paid = await a_deal(client, owner, restaurant, priceCents=8800)
    waiter, _, waiter_email = await register(client, name="服务员")
    added = await gql(client, STAFF_ADD, {"r": restaurant, "e": waiter_email}, owner)
    assert added["data"]["addRestaurantStaff"]["errors"] == []
    await accept_staff(client, restaurant, waiter)
    for holder, code in ((owner, "FORBIDDEN"), (waiter, "OWN_CONTENT")):  # the owner's: a work account
        for offer in (deal, paid):
            refused = await claim(client, holder, offer)
            assert [(e["field"], e["code"]) for e in refused["errors"]] == [("dealId", code)]
    left = "query($d: ID!) { deal(id: $d) { remaining } }"
    assert (await gql(client, left, {"d": deal}))["data"]["deal"]["remaining"] == 50  # stock untouched
    diner, _, diner_email = await register(client)
    code = code_of(await claim(client, diner, deal))
    hired = await gql(client, STAFF_ADD, {"r": restaurant, "e": diner_email}, owner)
    assert hired["data"]["addRestaurantStaff"]["errors"] == []
    await accept_staff(client, restaurant, diner)
    own = await gql(client, REDEEM, {"c": code}, diner)
    assert own["data"]["redeemVoucher"]["errors"][0]["code"] == "OWN_CONTENT"
    used = await gql(client, REDEEM, {"c": code}, waiter)
    assert used["data"]["redeemVoucher"]["errors"] == []


STATUS_FIELD = """
mutation($d: ID!, $s: DealStatus!) { setDealStatus(dealId: $d, status: $s) {
  deal { status } errors { field code } } }
"""


async def test_a_deal_past_its_end_or_ended_is_not_put_back_on_offer(client):
    """setDealStatus(ACTIVE) after endsAt: DEAL_EXPIRED and nothing changes (pausing or ending it
    still works); an ENDED deal stays ENDED whatever is asked."""
    owner, restaurant, over = await a_deal(client, title="过期的团购")
    _, _, ended = await a_deal(client, owner, restaurant)
    _, _, paused = await a_deal(client, owner, restaurant)
    pk = decode(over, "Deal", "id")
    for deal, status in ((over, "PAUSED"), (paused, "PAUSED"), (ended, "ENDED")):
        assert (await gql(client, STATUS_FIELD, {"d": deal, "s": status}, owner))["data"]["setDealStatus"][
            "errors"
        ] == []
    await Deal.filter(id=pk).update(ends_at=datetime.now(UTC) - timedelta(seconds=1))

    async def answer(deal, status):
        return (await gql(client, STATUS_FIELD, {"d": deal, "s": status}, owner))["data"]["setDealStatus"]

    refused = await answer(over, "ACTIVE")
    assert (refused["deal"], refused["errors"]) == (None, [{"field": "dealId", "code": "DEAL_EXPIRED"}])
    assert (await Deal.get(id=pk)).status == "paused"
    # Still ACTIVE in the database (its owner never ended it): re-activating is refused too.
    await Deal.filter(id=pk).update(status="active")
    assert (await answer(over, "ACTIVE"))["errors"] == [{"field": "dealId", "code": "DEAL_EXPIRED"}]
    assert (await answer(over, "PAUSED"))["deal"]["status"] == "PAUSED"
    assert (await answer(over, "ENDED"))["deal"]["status"] == "ENDED"
    for deal in (over, ended):
        for status in ("ACTIVE", "PAUSED"):
            again = await answer(deal, status)
            assert again["errors"] == [{"field": "dealId", "code": "DEAL_INACTIVE"}], (deal, status)
        assert (await Deal.get(id=decode(deal, "Deal", "id"))).status == "ended"
    assert (await answer(paused, "ACTIVE"))["deal"]["status"] == "ACTIVE"  # within its window: fine


async def test_repeated_views_by_one_viewer_count_once(client, services):
    """recordDealView counts one view per deal per viewer (user, else IP) per VIEW_WINDOW_SECONDS:
    the repeats answer true but leave the funnel (and trends) alone."""
    from resolvers.deals.deals import VIEW_WINDOW_SECONDS

    owner, restaurant, deal = await a_deal(client)
    _, _, other = await a_deal(client, owner, restaurant)
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "很好吃"}}, author))[
        "data"
    ]["createReview"]["review"]["id"]
    a, _, _ = await register(client)
    b, _, _ = await register(client)

    async def view(token=None, deal=deal, source=None):
        return (await gql(client, VIEW, {"d": deal, "s": source}, token))["data"]["recordDealView"]

    assert all([await view(a) for _ in range(5)])
    assert await view(a, source={"type": "REVIEW", "id": review})  # same viewer: not counted again
    assert await view(a, deal=other)  # another deal: its own view
    assert await view(b, source={"type": "REVIEW", "id": review})
    assert all([await view() for _ in range(3)])  # anonymous, one address: one view
    window = {"r": restaurant, "from": iso(timedelta(days=-1)), "to": iso(timedelta(days=1))}

    async def funnel():
        data = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
        return data["funnel"]["views"], {s["type"]: s["views"] for s in data["bySource"]}

    assert await funnel() == (4, {"DIRECT": 3, "REVIEW": 1})
    # The marks expire after the window: then the same viewer counts again.
    pattern = f"{services.settings.redis_namespace}:deal-view:{decode(deal, 'Deal', 'id')}:*"
    marks = [key async for key in services.redis.scan_iter(match=pattern)]
    assert len(marks) == 3
    for key in marks:
        assert 0 < await services.redis.ttl(key) <= VIEW_WINDOW_SECONDS
    await services.redis.delete(*marks)
    assert await view(a) and await view(a)
    assert await funnel() == (5, {"DIRECT": 4, "REVIEW": 1})
    missing = "RGVhbDo5OTk5OTk5"
    assert await view(a, deal=missing) is False


async def test_a_view_source_is_checked_as_a_claim_source_is(client):
    """recordDealView refuses the sources claimDeal refuses (one check, schema/deals.py
    `_attribution`): a garbage share link used to answer true and count a DIRECT view."""
    owner, restaurant, deal = await a_deal(client)
    _, _, other = await a_deal(client, owner, restaurant)
    viewer, _, _ = await register(client)
    sharer, _, _ = await register(client)
    token = (await gql(client, SHARE, {"d": deal}, sharer))["data"]["shareDeal"]["token"]
    elsewhere = (await gql(client, SHARE, {"d": other}, sharer))["data"]["shareDeal"]["token"]
    refused = [
        ({"type": "SHARE_LINK", "id": "garbage"}, "INVALID"),
        ({"type": "SHARE_LINK", "id": "x" * 5000}, "INVALID"),
        ({"type": "SHARE_LINK", "id": elsewhere}, "INVALID"),  # another deal's link
        ({"type": "REVIEW", "id": "garbage"}, "INVALID_ID"),
        ({"type": "PROFILE", "id": deal}, "INVALID"),  # a Deal ID is no profile
    ]
    for source, code in refused:
        claimed = await claim(client, viewer, deal, source=source)
        assert [e["code"] for e in claimed["errors"]] == [code], (source, claimed)
        body = await gql(client, VIEW, {"d": deal, "s": source}, viewer, expect_errors=True)
        assert body["data"] is None, (source, body)
        extensions = body["errors"][0]["extensions"]
        assert (extensions["code"], extensions["reason"]) == ("BAD_USER_INPUT", code), (source, body)
    assert (await gql(client, VIEW, {"d": deal, "s": {"type": "SHARE_LINK", "id": token}}, viewer))["data"][
        "recordDealView"
    ] is True
    # An unknown deal is still false, whatever the source; the refused views counted nothing.
    garbage = {"type": "SHARE_LINK", "id": "garbage"}
    assert (await gql(client, VIEW, {"d": "RGVhbDo5OTk5OTk5", "s": garbage}, viewer))["data"]["recordDealView"] is False
    window = {"r": restaurant, "from": iso(timedelta(days=-1)), "to": iso(timedelta(days=1))}
    data = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
    assert data["funnel"]["views"] == 1
    assert {s["type"]: s["views"] for s in data["bySource"] if s["views"]} == {"SHARE_LINK": 1}


async def test_insights_on_short_ranges_neither_convert_above_100_percent_nor_extrapolate(client):
    """A claim its claimer has no recorded view for counts as a view (never views < claims), and
    a range shorter than a week is a week for visitsPerCustomerPerWeek (no extrapolation)."""
    owner, restaurant, deal = await a_deal(client, perUserLimit=3)
    a, _, _ = await register(client)
    b, _, _ = await register(client)
    others = [(await register(client))[0] for _ in range(3)]
    for token in (b, *others):  # b views then claims; three others only look
        assert (await gql(client, VIEW, {"d": deal}, token))["data"]["recordDealView"]
    first = await claim(client, a, deal)  # the app never sent a's view
    await claim(client, b, deal)
    await claim(client, b, deal)  # a second voucher in the same session: its own view
    await gql(client, REDEEM, {"c": code_of(first), "b": 5000}, owner)
    half_day = {"r": restaurant, "from": iso(timedelta(hours=-6)), "to": iso(timedelta(hours=6))}
    data = (await gql(client, INSIGHTS, half_day, owner))["data"]["restaurantInsights"]
    assert data["funnel"] == {"views": 6, "claims": 3, "redemptions": 1}  # 4 recorded + a + b's 2nd
    assert data["bySource"] == [{"type": "DIRECT", "views": 6, "claims": 3, "redemptions": 1}]
    # One visit by one customer in twelve hours: 1 a week, not 14.
    assert (data["customers"], data["visitsPerCustomerPerWeek"]) == (1, 1.0)
    # A view made before the range does not account for a claim inside it.
    since = datetime.now(UTC)
    await claim(client, others[0], deal)  # viewed before `since`
    claim_only = {"r": restaurant, "from": since.isoformat(), "to": iso(timedelta(hours=1))}
    data = (await gql(client, INSIGHTS, claim_only, owner))["data"]["restaurantInsights"]
    assert data["funnel"] == {"views": 1, "claims": 1, "redemptions": 0}
    # Two weeks are still two weeks.
    fortnight = {"r": restaurant, "from": iso(timedelta(days=-14)), "to": iso(timedelta(days=1))}
    data = (await gql(client, INSIGHTS, fortnight, owner))["data"]["restaurantInsights"]
    assert data["visitsPerCustomerPerWeek"] == 0.5


SOLD_OUT_VIEWS = """
query($d: ID!, $r: ID!, $lat: Float!, $lng: Float!) {
  deal(id: $d) { id soldOut onSale remaining }
  restaurant(id: $r) { deals { id soldOut onSale remaining } }
  dealsNearby(lat: $lat, lng: $lng) { edges { node { id soldOut onSale remaining } } } }
"""


async def test_a_sold_out_deal_is_listed_alike_everywhere_until_released_stock_brings_it_back(client):
    """已抢光: a sold-out deal in its sale window is listed by dealsNearby, the restaurant page
    and deal(id) alike, soldOut true, onSale false, remaining 0; unpaid holds released later put
    it back on sale everywhere."""
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    _, _, deal = await a_deal(client, owner, restaurant, priceCents=3900, quantity=2)
    _, _, other = await a_deal(client, owner, restaurant, title="单人餐", endsAt=iso(timedelta(days=8)))
    holds = [await claim(client, (await register(client))[0], deal) for _ in range(2)]
    assert [h["claim"]["status"] for h in holds] == ["PENDING_PAYMENT"] * 2
    late, _, _ = await register(client)
    assert (await claim(client, late, deal))["errors"][0]["code"] == "SOLD_OUT"  # the gate agrees
    place = {"d": deal, "r": restaurant, "lat": lat, "lng": lng}

    async def seen():
        data = (await gql(client, SOLD_OUT_VIEWS, place))["data"]
        on_page = {d["id"]: d for d in data["restaurant"]["deals"]}
        nearby = {e["node"]["id"]: e["node"] for e in data["dealsNearby"]["edges"]}
        assert on_page.keys() == nearby.keys() == {deal, other}
        assert [d["id"] for d in data["restaurant"]["deals"]][-1] == (
            deal if data["deal"]["soldOut"] else other
        )  # sold-out ones last on the page
        assert on_page[deal] == nearby[deal] == data["deal"]
        assert on_page[other] == nearby[other] == {"id": other, "soldOut": False, "onSale": True, "remaining": 50}
        return data["deal"]

    assert await seen() == {"id": deal, "soldOut": True, "onSale": False, "remaining": 0}
    await Claim.filter(id=decode(holds[0]["claim"]["id"], "Claim", "id")).update(
        pay_by=datetime.now(UTC) - timedelta(seconds=1)
    )
    for _ in range(50):  # the job runner releases the unpaid hold (every second in tests)
        try:
            if not (await seen())["soldOut"]:
                break
        except AssertionError:  # the release landed between the request's three reads: look again
            pass
        await asyncio.sleep(0.1)
    assert await seen() == {"id": deal, "soldOut": False, "onSale": True, "remaining": 1}
    assert (await claim(client, late, deal))["claim"]["status"] == "PENDING_PAYMENT"
    assert (await seen())["soldOut"] is True


async def test_a_till_losing_to_a_refund_or_the_expiry_is_told_which(client, monkeypatch):
    """The voucher passed the till's first check, then a refund (or the expiry) committed before
    the redemption's conditional update: the till said ALREADY_REDEEMED ("already used") for a
    voucher the diner had just been refunded. Now it says what happened."""
    from resolvers.deals import deals as deal_resolvers

    owner, _, deal = await a_deal(client)
    zone_of = deal_resolvers.rollup.time_zone
    for meanwhile, expected in (
        ({"status": "refunded"}, "CANCELLED"),
        ({"status": "expired"}, "VOUCHER_EXPIRED"),
        ({"valid_until": datetime.now(UTC) - timedelta(seconds=1)}, "VOUCHER_EXPIRED"),
    ):
        code = code_of(await claim(client, (await register(client))[0], deal))

        async def in_between(restaurant_id, code=code, meanwhile=meanwhile):
            await Claim.filter(code=code.replace("-", "")).update(**meanwhile)
            return await zone_of(restaurant_id)

        monkeypatch.setattr(deal_resolvers.rollup, "time_zone", in_between)
        refused = (await gql(client, REDEEM, {"c": code}, owner))["data"]["redeemVoucher"]
        monkeypatch.setattr(deal_resolvers.rollup, "time_zone", zone_of)
        assert refused["errors"][0]["code"] == expected, (meanwhile, refused)


REFUNDS = """
query($r: ID!, $from: DateTime!, $to: DateTime!) { restaurantInsights(restaurantId: $r, from: $from, to: $to) {
  funnel { claims redemptions refunds refundedCents } bySource { type claims refunds } } }
"""


async def test_insights_show_refunds_beside_the_sales_they_took_away(client, services):
    """退款: a refunded voucher left `claims` with no trace; now the funnel counts it (and what it
    paid back) in the range the refund fell in, per source."""
    from tests.test_correctness_money import pay

    owner, restaurant, deal = await a_deal(client, priceCents=4900, quantity=5)
    keeper, returner = [(await register(client))[0] for _ in range(2)]
    kept, returned = await claim(client, keeper, deal), await claim(client, returner, deal)
    for held in (kept, returned):
        assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    assert (await gql(client, REFUND, {"c": returned["claim"]["id"]}, returner))["data"]["refundClaim"][
        "claim"
    ]["status"] == "REFUNDED"
    code = await stored_code(kept["claim"]["id"])
    assert (await gql(client, REDEEM, {"c": code, "b": 8800}, owner))["data"]["redeemVoucher"]["errors"] == []
    start = datetime.now(UTC) - timedelta(days=1)
    window = {"r": restaurant, "from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}
    data = (await gql(client, REFUNDS, window, owner))["data"]["restaurantInsights"]
    assert data["funnel"] == {"claims": 1, "redemptions": 1, "refunds": 1, "refundedCents": 4900}
    assert data["bySource"] == [{"type": "DIRECT", "claims": 1, "refunds": 1}]
    before = {"r": restaurant, "from": (start - timedelta(days=3)).isoformat(), "to": start.isoformat()}
    earlier = (await gql(client, REFUNDS, before, owner))["data"]["restaurantInsights"]["funnel"]
    assert earlier == {"claims": 0, "redemptions": 0, "refunds": 0, "refundedCents": 0}


async def test_a_sale_that_opens_later_is_shown_as_coming_not_on_sale(client):
    """即将开抢: a flash sale announced for tomorrow is on the restaurant page before it opens."""
    owner, restaurant, now_on = await a_deal(client)
    _, _, tomorrow = await a_deal(client, owner, restaurant, startsAt=iso(timedelta(days=1)))
    _, _, next_week = await a_deal(
        client, owner, restaurant, startsAt=iso(timedelta(days=6)), endsAt=iso(timedelta(days=9))
    )
    _, _, paused = await a_deal(client, owner, restaurant, startsAt=iso(timedelta(days=2)))
    await gql(client, STATUS, {"d": paused, "s": "PAUSED"}, owner)
    page = """query($id: ID!) { restaurant(id: $id) {
        deals { id } upcomingDeals { id onSale startsAt } } }"""
    diner, _, _ = await register(client)
    shown = (await gql(client, page, {"id": restaurant}, diner))["data"]["restaurant"]
    assert [d["id"] for d in shown["deals"]] == [now_on]
    assert [d["id"] for d in shown["upcomingDeals"]] == [tomorrow, next_week]
    assert {d["onSale"] for d in shown["upcomingDeals"]} == {False}
    assert (await claim(client, diner, tomorrow))["errors"][0]["code"] == "DEAL_NOT_STARTED"


UPDATE_DEAL = """mutation($d: ID!, $i: DealUpdateInput!) { updateDeal(dealId: $d, input: $i) {
  deal { title terms quantity remaining perUserLimit endsAt useEndsAt priceCents } errors { field code } } }"""


async def test_staff_edit_a_deal_on_offer_without_taking_anything_from_its_holders(client):
    """No updateDeal: selling out, a merchant could only end the deal and start another (its
    sales, share links and place lost). Stock up or down to what is claimed, the sale longer or
    shorter, the use window longer, the title and terms: never below what holders bought."""
    owner, restaurant, deal = await a_deal(client, quantity=2, priceCents=0)
    holders = [(await register(client))[0] for _ in range(2)]
    for token in holders:
        code_of(await claim(client, token, deal))
    late, _, _ = await register(client)
    assert (await claim(client, late, deal))["errors"][0]["code"] == "SOLD_OUT"  # the gate knows it

    async def edit(changes: dict, token: str = owner) -> dict:
        return (await gql(client, UPDATE_DEAL, {"d": deal, "i": changes}, token))["data"]["updateDeal"]

    more = await edit({"quantity": 10, "title": " 双人套餐（加量） ", "terms": "周末可用"})
    assert more["errors"] == []
    assert (more["deal"]["title"], more["deal"]["quantity"], more["deal"]["remaining"]) == ("双人套餐（加量）", 10, 8)
    assert more["deal"]["terms"] == "周末可用" and more["deal"]["priceCents"] == 0
    assert (await claim(client, late, deal))["errors"] == []  # back on sale at once (the gate rebuilt)
    below = await edit({"quantity": 2})
    assert below == {"deal": None, "errors": [{"field": "quantity", "code": "OUT_OF_RANGE"}]}
    sooner = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    old_end = (await gql(client, "query($d: ID!) { deal(id: $d) { endsAt } }", {"d": deal}))["data"]["deal"]["endsAt"]
    shortened = await edit({"endsAt": sooner.isoformat()})
    assert shortened["errors"] == []
    # The sale ends sooner; vouchers sold keep the window they were bought with.
    assert datetime.fromisoformat(shortened["deal"]["useEndsAt"]) == datetime.fromisoformat(old_end)
    narrower = await edit({"useEndsAt": (sooner + timedelta(days=1)).isoformat()})
    assert narrower["errors"] == [{"field": "useEndsAt", "code": "INVALID_TIME_RANGE"}]
    past = await edit({"endsAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat()})
    assert past["errors"] == [{"field": "endsAt", "code": "IN_THE_PAST"}]
    diner_edit = await edit({"quantity": 1000}, late)
    assert diner_edit["errors"][0]["code"] == "FORBIDDEN"
    await gql(client, STATUS, {"d": deal, "s": "ENDED"}, owner)
    ended = await edit({"quantity": 50})
    assert ended["errors"] == [{"field": "dealId", "code": "DEAL_INACTIVE"}]


async def test_a_refund_never_lowers_the_views_a_claim_stood_for(client, services):
    """A claim with no recorded view counts as one view; refunded, it left the claims and took
    its view with it: the merchant watched the day's traffic go down."""
    from tests.test_correctness_money import pay

    owner, restaurant, deal = await a_deal(client, priceCents=3900)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)  # straight from a link: no recorded view
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    today = {"r": restaurant, "from": iso(timedelta(hours=-1)), "to": iso(timedelta(hours=1))}
    before = (await gql(client, INSIGHTS, today, owner))["data"]["restaurantInsights"]["funnel"]
    assert before == {"views": 1, "claims": 1, "redemptions": 0}
    assert (await gql(client, REFUND, {"c": held["claim"]["id"]}, diner))["data"]["refundClaim"]["errors"] == []
    after = (await gql(client, INSIGHTS, today, owner))["data"]["restaurantInsights"]["funnel"]
    assert after == {"views": 1, "claims": 0, "redemptions": 0}
