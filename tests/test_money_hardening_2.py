"""More money paths under a hostile or unlucky client, through the endpoint (both backends).

- A retried `claimDeal` (same idempotency key) gets the claim it made, same id and same code,
  even when its source (a review) was hidden by moderation between the two calls: the source is
  checked only for a claim made now. A fresh key with that source is refused as before, and the
  key on another deal is still DUPLICATE. Whether the gate recognises the retry, lost its keys,
  or there is no shared Redis at all.
- An Alipay notification, genuinely signed, whose amount is no plain two-decimal number ("sNaN",
  "Infinity", "1e999999", more decimals than cents ...) is a refused notification ("fail"),
  never a 500, and changes nothing; `to_cents` converts exactly or refuses, nothing else.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from decimal import Decimal, localcontext
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.alipay import rsa2_sign, sign_content
from core.payments import MAX_CENTS, NotificationRefused, from_cents, to_cents
from core.providers import make_payments
from models.deals import Claim, ClaimStatus
from resolvers.deals import gate
from schema.ids import decode
from tests.conftest import override_settings
from tests.helpers import account_with_role, gql, open_restaurant, random_spot, register
from tests.payment_standins import AlipayStandIn
from tests.test_deals import a_deal, claim
from tests.test_money_hardening import _review
from tests.test_visibility import moderate

ME = "{ me { id } }"


async def _gate_stock(services, deal: str) -> int | None:
    stock = await services.redis.hget(gate.key(services, decode(deal, "Deal", "dealId")), "stock")
    return None if stock is None else int(stock)


@pytest.mark.parametrize("path", ["gate", "lost_keys", "no_redis"])
async def test_a_retry_gets_its_claim_after_its_review_source_was_hidden(client, services, path):
    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot())
    _, _, deal = await a_deal(client, owner, restaurant, quantity=10, perUserLimit=3)
    _, _, other_deal = await a_deal(client, owner, restaurant, quantity=10, perUserLimit=3)
    author, _, _ = await register(client, name="点评达人")
    review = await _review(client, owner, restaurant, author, "毛肚")
    reader, _, _ = await register(client)
    source = {"type": "REVIEW", "id": review}
    key = uuid.uuid4().hex

    def plain():
        return override_settings(services, shared_redis_caches=path != "no_redis")

    with plain():
        first = await claim(client, reader, deal, key, source)
    assert first["errors"] == [] and first["claim"]["source"] == "REVIEW", first
    await moderate(client, moderator, review, "HIDE_CONTENT")

    if path == "lost_keys":  # the gate lets the retry through as if new (its key index lost)
        user = decode((await gql(client, ME, token=reader))["data"]["me"]["id"], "User", "id")
        pk = decode(deal, "Deal", "dealId")
        await services.redis.delete(gate.keys_of(services, user))
        await services.redis.hdel(gate.key(services, pk), f"k:{user}:{key}")
    stock_before = await _gate_stock(services, deal)
    with plain():
        again = await claim(client, reader, deal, key, source)
    assert again["errors"] == [], again
    assert again["claim"]["id"] == first["claim"]["id"]
    assert again["claim"]["code"] == first["claim"]["code"] and again["claim"]["code"]
    assert again["claim"]["source"] == "REVIEW"
    assert await _gate_stock(services, deal) == stock_before  # the retry took nothing
    with plain():
        # A new claim naming the hidden review is refused as before, and takes nothing.
        fresh = await claim(client, reader, deal, uuid.uuid4().hex, source)
        assert [(e["field"], e["code"]) for e in fresh["errors"]] == [("source", "INVALID")], fresh
        # The key on another deal is still another deal's key.
        reused = await claim(client, reader, other_deal, key, source)
        assert reused["errors"][0]["code"] == "DUPLICATE", reused
        # Stock and the per-user limit: one voucher held, two more to take.
        assert (await claim(client, reader, deal))["claim"]["deal"]["remaining"] == 8
    assert await Claim.filter(deal_id=decode(deal, "Deal", "dealId")).count() == 2


# --------------------------------------------------------------------------- to_cents


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=MAX_CENTS))
def test_to_cents_reads_every_amount_from_cents_writes(cents):
    assert to_cents(from_cents(cents)) == cents


ODD = [
    "sNaN",
    "NaN",
    "-NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999999",
    "1E+1000000000",
    "1e-999999",
    "99.000",
    "0.001",
    "99.0000000000000000000000000001",
    "-1.00",
    "+1.00",
    "-0",
    " 1.00",
    "1.00\n",
    "1_000",
    "١٢",
    "1,00",
    ".5",
    "5.",
    "",
    "0x10",
    "21474836.48",
    "9" * 40,
]


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.sampled_from(ODD),
        st.text(max_size=40),
        st.from_regex(r"\A[-+ ]?[0-9]{0,14}(\.[0-9]{0,5})?([eE][-+]?[0-9]{1,8})?\Z"),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(min_value=0, max_value=30_000_000, places=2).map(str),
    )
)
@example("12.34")
@example("sNaN")
def test_to_cents_converts_exactly_or_refuses(text):
    try:
        cents = to_cents(text)
    except NotificationRefused:
        return  # refused: the only other outcome there is
    assert isinstance(cents, int) and 0 <= cents <= MAX_CENTS
    assert len(text.partition(".")[2]) <= 2  # never more decimals than cents
    with localcontext() as exact:
        exact.prec = 100
        assert Decimal(text) * 100 == cents  # exactly the amount written


def test_to_cents_examples():
    assert to_cents("12.34") == 1234
    assert to_cents("99") == 9900
    assert to_cents("0.5") == 50
    assert to_cents("21474836.47") == MAX_CENTS
    for text in ODD:
        with pytest.raises(NotificationRefused):
            to_cents(text)


# --------------------------------------------------------------------------- the Alipay webhook

CLAIM = """
mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) {
  claim { id status payment { intentId clientSecret } } errors { code } } }
"""
STATUS = "query($id: ID!) { node(id: $id) { ... on Claim { status } } }"


@pytest.fixture(scope="module")
def alipay_standin():
    standin = AlipayStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
async def alipay(services, alipay_standin):
    settings_ = replace(services.settings, payment_provider="alipay", payment_env=alipay_standin.env())
    original, services.payments = services.payments, make_payments(settings_)
    try:
        yield alipay_standin
    finally:
        await services.payments.aclose()
        services.payments = original


def with_amount(note, amount: str, key):
    """The same notification with another `total_amount`, signed again with Alipay's key: a
    genuine signature over a malformed amount (what only a broken gateway would send)."""
    headers, body = note
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    params["total_amount"] = amount
    params["sign"] = rsa2_sign(key, sign_content(params))
    return headers, urlencode(params).encode()


@pytest.mark.parametrize(
    "amount",
    [
        "sNaN",
        "NaN",
        "Infinity",
        "-Infinity",
        "1e999999",
        "99.000",
        "99.0000000000000000000000000001",
        "21474836.48",
    ],
)
async def test_an_alipay_notification_with_a_malformed_amount_is_refused(client, alipay, amount, caplog):
    _, _, deal = await a_deal(client, priceCents=9900)
    diner = (await register(client))[0]
    body = await gql(client, CLAIM, {"d": deal, "k": uuid.uuid4().hex}, diner)
    made = body["data"]["claimDeal"]
    assert made["errors"] == [] and made["claim"]["status"] == "PENDING_PAYMENT", made
    intent = made["claim"]["payment"]["intentId"]
    note = with_amount(alipay.pay(out_trade_no=intent), amount, alipay.alipay_key)
    response = await client.post("/payments/alipay/notify", content=note[1], headers=note[0])
    assert (response.status_code, response.text) == (200, "fail")  # refused; Alipay retries
    assert "notification refused" in caplog.text
    row = await Claim.get(payment_intent=intent)
    assert (row.paid, row.status) == (False, ClaimStatus.PENDING_PAYMENT)
    # Nothing was recorded either: the genuine notification afterwards pays the claim.
    headers, good = alipay.pay(made["claim"]["payment"]["clientSecret"])
    paid = await client.post("/payments/alipay/notify", content=good, headers=headers)
    assert (paid.status_code, paid.text) == (200, "success")
    status = await gql(client, STATUS, {"id": made["claim"]["id"]}, diner)
    assert status["data"]["node"]["status"] == "ISSUED"


async def test_a_share_link_from_someone_hidden_from_the_claimer_sells_but_credits_nobody(client, services):
    """A deal's share link forwarded into a group still sells to everyone in it, but a sharer who
    blocked the claimer (or was blocked, or is suspended) earns no credit from them."""
    from tests.test_deals import CREDITS, REDEEM, SHARE, code_of

    owner, restaurant = await open_restaurant(client, *random_spot())
    _, _, deal = await a_deal(client, owner, restaurant, perUserLimit=3)
    sharer, _, _ = await register(client, name="转发的人")
    blocked_reader, blocked_id, _ = await register(client)
    friend, _, _ = await register(client)
    token = (await gql(client, SHARE, {"d": deal}, sharer))["data"]["shareDeal"]["token"]
    block = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
    assert (await gql(client, block, {"u": blocked_id}, sharer))["data"]["blockUser"]["errors"] == []

    via_link = {
        who: await claim(client, who, deal, source={"type": "SHARE_LINK", "id": token})
        for who in (blocked_reader, friend)
    }
    assert all(c["errors"] == [] and c["claim"]["source"] == "SHARE_LINK" for c in via_link.values()), via_link
    redeemed = await gql(client, REDEEM, {"c": code_of(via_link[blocked_reader])}, owner)
    assert redeemed["data"]["redeemVoucher"]["errors"] == []
    assert (await gql(client, CREDITS, token=sharer))["data"]["me"]["referralCredits"] == 0
    redeemed = await gql(client, REDEEM, {"c": code_of(via_link[friend])}, owner)
    assert redeemed["data"]["redeemVoucher"]["errors"] == []
    assert (await gql(client, CREDITS, token=sharer))["data"]["me"]["referralCredits"] == 500
