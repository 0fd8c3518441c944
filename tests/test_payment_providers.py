"""WeChat Pay and Alipay through the endpoint, against loopback stand-ins of their HTTP APIs.

Claim (GraphQL) -> provider order -> signed notification to /payments/<provider>/notify ->
voucher issued; refundClaim -> provider refund; and every bad notification refused with
nothing changed. Keys and certificates are generated here; the providers' real signing,
verification and AES-GCM decryption run.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from core.providers import make_payments
from models.deals import Claim, RefundRetry
from resolvers.deals.reconcile import reconcile
from resolvers.deals.refunds import retry_refunds
from resolvers.jobs import JOBS
from settings import Settings, SettingsError
from tests.helpers import gql, register
from tests.payment_standins import AlipayStandIn, WeChatPayStandIn, new_key, write_env_files
from tests.servers import ROOT
from tests.test_deals import REDEEM, REFUND, a_deal

CLAIM = """
mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) {
  claim { id code status amountCents payment { intentId clientSecret amountCents } }
  errors { field code } } }
"""
STATUS = "query($id: ID!) { node(id: $id) { ... on Claim { status } } }"


@pytest.fixture(scope="module")
def standins():
    wechat, alipay = WeChatPayStandIn().start(), AlipayStandIn().start()
    yield {"wechatpay": wechat, "alipay": alipay}
    wechat.stop()
    alipay.stop()


@pytest.fixture(params=["wechatpay", "alipay"])
async def provider(request, services, standins):
    """The running app with this provider in place of the test one (built from its env settings)."""
    standin = standins[request.param]
    settings = replace(services.settings, payment_provider=request.param, payment_env=standin.env())
    original, services.payments = services.payments, make_payments(settings)
    standin.down = False
    try:
        yield request.param, standin
    finally:
        await services.payments.aclose()
        services.payments = original


async def paid_claim(client, name, standin, price=9900):
    owner, _, deal = await a_deal(client, priceCents=price)
    diner = (await register(client))[0]
    body = await gql(client, CLAIM, {"d": deal, "k": uuid.uuid4().hex}, diner)
    payload = body["data"]["claimDeal"]
    assert payload["errors"] == [], payload
    assert payload["claim"]["status"] == "PENDING_PAYMENT"
    return owner, diner, payload["claim"]


def payment_of(name, standin, claim, **forgery):
    """The provider's notification for the buyer paying this claim (or a forged variant)."""
    payment = claim["payment"]
    if name == "wechatpay":
        assert json.loads(payment["clientSecret"])["prepayid"].startswith("wx")
        return standin.pay(payment["intentId"], **forgery)
    if forgery:
        return standin.pay(out_trade_no=payment["intentId"], **forgery)
    return standin.pay(payment["clientSecret"])


async def notify(client, name, note):
    headers, body = note
    response = await client.post(f"/payments/{name}/notify", content=body, headers=headers)
    accepted = response.status_code == 200 and (name == "wechatpay" or response.text == "success")
    return accepted, response


async def status_of(client, token, claim):
    return (await gql(client, STATUS, {"id": claim["id"]}, token))["data"]["node"]["status"]


async def test_claim_pay_notify_refund_and_reconcile(client, services, provider):
    name, standin = provider
    _, diner, claim = await paid_claim(client, name, standin)
    intent = claim["payment"]["intentId"]
    note = payment_of(name, standin, claim)
    assert (await notify(client, name, note))[0]
    assert await status_of(client, diner, claim) == "ISSUED"
    # The same delivery again (a replay) and a fresh retry: acknowledged, nothing changes.
    assert (await notify(client, name, note))[0]
    assert (await notify(client, name, payment_of(name, standin, claim)))[0]
    assert await status_of(client, diner, claim) == "ISSUED"
    today = datetime.now(UTC).date()
    assert [m for m in await reconcile(services, name, today) if m.intent_id == intent] == []
    refund = (await gql(client, REFUND, {"c": claim["id"]}, diner))["data"]["refundClaim"]
    assert refund["errors"] == [] and refund["claim"]["status"] == "REFUNDED"
    assert standin.orders[intent].refunds == {f"{intent}r": 9900}
    # A payment notification after the refund changes nothing and refunds nothing more.
    assert (await notify(client, name, payment_of(name, standin, claim)))[0]
    assert standin.orders[intent].refunded == 9900
    assert [m for m in await reconcile(services, name, today) if m.intent_id == intent] == []


@pytest.mark.parametrize(
    "forgery",
    ["other_key", "stale", "wrong_amount", "unknown_order", "other_merchant"],
)
async def test_bad_notifications_are_refused_and_change_nothing(client, provider, forgery, caplog):
    name, standin = provider
    _, diner, claim = await paid_claim(client, name, standin)
    before = await Claim.get(id=int(await _db_id(claim)))
    variants = {
        "other_key": {"key": new_key()},
        "stale": {"age": 30 * 3600 if name == "alipay" else 600},
        "wrong_amount": {"amount": 1},
        "other_merchant": {"app_id": "2021999999999999"} if name == "alipay" else {"mchid": "1999999999"},
    }
    if forgery == "unknown_order":
        note = standin.pay(out_trade_no="nosuchorder") if name == "alipay" else standin.pay("nosuchorder")
    else:
        note = payment_of(name, standin, claim, **variants[forgery])
    accepted, response = await notify(client, name, note)
    assert not accepted, response.text
    assert await status_of(client, diner, claim) == "PENDING_PAYMENT"
    after = await Claim.get(id=before.id)
    assert (after.paid, after.status) == (before.paid, before.status)
    assert "notification refused" in caplog.text


async def _db_id(claim):
    from strawberry.relay import GlobalID

    return GlobalID.from_id(claim["id"]).node_id


async def test_wechat_notification_encrypted_with_another_key_is_refused(client, services, standins):
    standin = standins["wechatpay"]
    settings = replace(services.settings, payment_provider="wechatpay", payment_env=standin.env())
    original, services.payments = services.payments, make_payments(settings)
    try:
        _, diner, claim = await paid_claim(client, "wechatpay", standin)
        note = standin.pay(claim["payment"]["intentId"], apiv3_key="k" * 32)
        assert not (await notify(client, "wechatpay", note))[0]
        assert await status_of(client, diner, claim) == "PENDING_PAYMENT"
    finally:
        await services.payments.aclose()
        services.payments = original


async def test_redeemed_voucher_is_not_refunded(client, provider):
    name, standin = provider
    owner, diner, claim = await paid_claim(client, name, standin)
    assert (await notify(client, name, payment_of(name, standin, claim)))[0]
    # The code shows once paid (an unpaid claim's is null: a screenshot is no voucher).
    assert claim["code"] is None
    paid = await gql(client, "query($id: ID!) { node(id: $id) { ... on Claim { code } } }", {"id": claim["id"]}, diner)
    redeemed = await gql(client, REDEEM, {"c": paid["data"]["node"]["code"]}, owner)
    assert redeemed["data"]["redeemVoucher"]["errors"] == []
    refund = (await gql(client, REFUND, {"c": claim["id"]}, diner))["data"]["refundClaim"]
    assert refund["errors"][0]["code"] == "ALREADY_REDEEMED"
    assert standin.orders[claim["payment"]["intentId"]].refunds == {}


async def test_wechat_down_at_claim_gives_a_user_error_and_keeps_stock(client, services, standins):
    """Ordering calls WeChat Pay inside the claim: an outage refuses the claim, stock untouched."""
    standin = standins["wechatpay"]
    settings = replace(services.settings, payment_provider="wechatpay", payment_env=standin.env())
    original, services.payments = services.payments, make_payments(settings)
    try:
        _, _, deal = await a_deal(client, priceCents=500, quantity=1)
        diner = (await register(client))[0]
        standin.down = True
        body = await gql(client, CLAIM, {"d": deal, "k": "k1"}, diner)
        assert body["data"]["claimDeal"]["errors"][0]["code"] == "UNAVAILABLE", body
        standin.down = False
        again = await gql(client, CLAIM, {"d": deal, "k": "k2"}, diner)
        assert again["data"]["claimDeal"]["claim"]["status"] == "PENDING_PAYMENT", again
    finally:
        standin.down = False
        await services.payments.aclose()
        services.payments = original


async def test_reconcile_lists_lost_notifications_and_failed_refunds(client, services, provider):
    name, standin = provider
    _, diner, lost = await paid_claim(client, name, standin, price=1200)
    note = payment_of(name, standin, lost)  # paid at the provider; the notification never arrives
    del note
    _, diner2, refunded = await paid_claim(client, name, standin, price=3400)
    assert (await notify(client, name, payment_of(name, standin, refunded)))[0]
    standin.down = True
    refund = (await gql(client, REFUND, {"c": refunded["id"]}, diner2))["data"]["refundClaim"]
    assert refund["errors"] == [] and refund["claim"]["status"] == "REFUNDED"
    standin.down = False
    found = {m.intent_id: m.problem for m in await reconcile(services, name, datetime.now(UTC).date())}
    assert found[lost["payment"]["intentId"]] == "paid at the provider, not here"
    assert found[refunded["payment"]["intentId"]].startswith("refund missing at the provider (owed: ")
    assert await reconcile(services, name, date.today() - timedelta(days=3)) == []


async def test_a_refund_the_provider_did_not_take_is_asked_again_until_it_goes_through(
    client, services, provider
):
    """The provider is down when a diner returns a paid voucher: the claim is REFUNDED at once,
    the refund waits, the job asks again with back-off (nothing while it is still down, nothing
    before it is due again), then the money goes back exactly once and nothing is left."""
    name, standin = provider
    _, diner, claim = await paid_claim(client, name, standin, price=4500)
    assert (await notify(client, name, payment_of(name, standin, claim)))[0]
    intent = claim["payment"]["intentId"]
    standin.down = True
    refund = (await gql(client, REFUND, {"c": claim["id"]}, diner))["data"]["refundClaim"]
    assert refund["errors"] == [] and refund["claim"]["status"] == "REFUNDED"
    assert standin.orders[intent].refunded == 0
    waiting = await RefundRetry.get(payment_intent=intent)
    assert (waiting.amount_cents, waiting.attempts) == (4500, 0) and waiting.last_error

    soon = datetime.now(UTC) + timedelta(minutes=2)  # due (first retry after a minute)
    assert (await retry_refunds(services, now=soon)).retried >= 1
    again = await RefundRetry.get(payment_intent=intent)
    assert again.attempts == 1 and again.next_attempt_at > soon  # backed off
    before_due = await retry_refunds(services, now=soon + timedelta(seconds=30))
    assert (await RefundRetry.get(payment_intent=intent)).attempts == 1, before_due
    assert standin.orders[intent].refunded == 0

    standin.down = False
    await retry_refunds(services, now=soon + timedelta(hours=1))
    assert standin.orders[intent].refunded == 4500
    assert not await RefundRetry.exists(payment_intent=intent)
    await retry_refunds(services, now=soon + timedelta(days=1))  # nothing more for it
    assert standin.orders[intent].refunded == 4500
    found = {m.intent_id for m in await reconcile(services, name, datetime.now(UTC).date())}
    assert intent not in found
    assert any(job.name == "retry-refunds" and job.run is retry_refunds for job in JOBS)  # scheduled


async def test_reconcile_command(settings, services, standins, tmp_path, client):
    """`app.py reconcile` in its own process (keys from files, the platform certificate) lists
    a payment whose notification never arrived, and exits 1."""
    import asyncio

    standin = standins["wechatpay"]
    swapped = replace(services.settings, payment_provider="wechatpay", payment_env=standin.env())
    original, services.payments = services.payments, make_payments(swapped)
    try:
        _, _, lost = await paid_claim(client, "wechatpay", standin, price=4321)
        standin.pay(lost["payment"]["intentId"])
        with pytest.raises(ValueError, match="not 'alipay'"):
            await reconcile(services, "alipay", datetime.now(UTC).date())
    finally:
        await services.payments.aclose()
        services.payments = original
    env = {
        "ENV": "test",
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "REDIS_URL": settings.redis_url or "",
        "MEDIA_ROOT": str(settings.media_root),
        "PATH": "/usr/bin:/bin",
        **write_env_files(standin.env(use_certificate=True), str(tmp_path)),
    }
    day = datetime.now(UTC).date().isoformat()
    standin.use_certificate()
    try:
        run = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "app.py", "reconcile", "--provider", "wechatpay", "--date", day],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )
    finally:
        standin.use_certificate(False)
    assert run.returncode == 1, run.stderr
    assert f"{lost['payment']['intentId']}: paid at the provider, not here" in run.stdout


def test_configuration_is_checked_and_production_refuses_the_test_provider(standins):
    base = {"SECRET_KEY": "x" * 64, "DATA_DIR": "/tmp"}
    with pytest.raises(SettingsError, match="PAYMENT_PROVIDER"):
        Settings.from_env({**base, "PAYMENT_PROVIDER": "paypal"})
    production = Settings.from_env({**base, "ENV": "production", "SECRET_KEY": secrets.token_hex(32)})
    with pytest.raises(SettingsError, match="ALLOW_TEST_PAYMENTS"):
        make_payments(production)
    make_payments(replace(production, allow_test_payments=True))
    incomplete = {**standins["wechatpay"].env(), "WECHATPAY_APIV3_KEY": "short"}
    with pytest.raises(SettingsError, match="APIV3"):
        make_payments(Settings.from_env({**base, **incomplete}))
    with pytest.raises(SettingsError, match="ALIPAY_PUBLIC_KEY"):
        make_payments(Settings.from_env({**base, "PAYMENT_PROVIDER": "alipay", "ALIPAY_APP_ID": "1", "ALIPAY_PRIVATE_KEY": "x"}))


@pytest.mark.parametrize("total", [True, -1, 2**31, 2**63])
async def test_wechat_absurd_amounts_are_refused_not_a_500(client, services, standins, total):
    """A signed, decryptable notification whose total is JSON true, negative or past what a
    claim's 32-bit amount holds is a refused notification (it would fail to bind in SQL)."""
    standin = standins["wechatpay"]
    settings = replace(services.settings, payment_provider="wechatpay", payment_env=standin.env())
    original, services.payments = services.payments, make_payments(settings)
    try:
        _, diner, claim = await paid_claim(client, "wechatpay", standin)
        accepted, response = await notify(client, "wechatpay", payment_of("wechatpay", standin, claim, amount=total))
        assert not accepted and response.status_code < 500, response.text
        assert await status_of(client, diner, claim) == "PENDING_PAYMENT"
        assert (await notify(client, "wechatpay", payment_of("wechatpay", standin, claim)))[0]
        assert await status_of(client, diner, claim) == "ISSUED"
    finally:
        await services.payments.aclose()
        services.payments = original


@pytest.mark.parametrize("path", ["/payments/webhook", "/payments/alipay/notify", "/payments/wechatpay/notify"])
async def test_an_oversized_notification_is_refused_unread(client, path):
    """Unauthenticated routes: a body past 64 KiB is a 413 before any of it is held or checked,
    whether its length is declared or it streams without one."""
    declared = await client.post(path, content=b"x" * (64 * 1024 + 1))
    assert declared.status_code == 413

    async def chunks():
        for _ in range(100):
            yield b"y" * 4096

    streamed = await client.post(path, content=chunks())
    assert streamed.status_code == 413


PAY_AGAIN = "{ myClaims(first: 1, status: [PENDING_PAYMENT]) { edges { node { id payment { intentId clientSecret } } } } }"


async def test_an_unpaid_order_can_be_paid_from_another_server_or_after_a_restart(client, services, provider):
    """Round 12: the pay sheet's parameters lived only in the memory of the process that placed
    the order; 去支付 from the order list on another worker (or after a restart) got an empty
    clientSecret and could not pay. Now the provider gives them again for the same order."""
    name, standin = provider
    _, diner, claim = await paid_claim(client, name, standin)
    services.payments.intents.clear()  # another process, or this one restarted
    again = (await gql(client, PAY_AGAIN, token=diner))["data"]["myClaims"]["edges"][0]["node"]
    assert again["id"] == claim["id"] and again["payment"]["intentId"] == claim["payment"]["intentId"]
    if name == "wechatpay":  # the order placed again: WeChat Pay's same prepay_id
        first, second = (json.loads(c["payment"]["clientSecret"]) for c in (claim, again))
        assert second["prepayid"] == first["prepayid"]
    assert (await notify(client, name, payment_of(name, standin, again)))[0]
    assert await status_of(client, diner, claim) == "ISSUED"
