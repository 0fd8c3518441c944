"""Deleting an account while holding a paid, unused voucher would make the money vanish: the
deletion waits (UNUSED_VOUCHERS, nothing erased) until the voucher is used or refunded."""

from __future__ import annotations

from tests.helpers import gql, register
from tests.test_correctness_money import pay
from tests.test_deals import REFUND, a_deal, claim
from tests.test_self_service import DELETE

ME = "{ me { id } }"


async def test_an_account_holding_a_paid_voucher_is_deleted_only_once_it_is_refunded(client, services):
    _, _, deal = await a_deal(client, priceCents=6800, quantity=5)
    diner, _, _ = await register(client, password="correct horse battery")
    held = await claim(client, diner, deal)
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200

    refused = (await gql(client, DELETE, {"p": "correct horse battery"}, diner))["data"]["deleteMyAccount"]
    assert refused == {"deleted": False, "errors": [{"field": None, "code": "UNUSED_VOUCHERS"}]}
    assert (await gql(client, ME, token=diner))["data"]["me"] is not None  # nothing erased

    refunded = (await gql(client, REFUND, {"c": held["claim"]["id"]}, diner))["data"]["refundClaim"]
    assert refunded["errors"] == []
    done = (await gql(client, DELETE, {"p": "correct horse battery"}, diner))["data"]["deleteMyAccount"]
    assert done == {"deleted": True, "errors": []}


async def test_free_and_unpaid_vouchers_do_not_hold_a_deletion_back(client, services):
    _, _, free = await a_deal(client, priceCents=0, quantity=5)
    _, _, priced = await a_deal(client, priceCents=3900, quantity=5)
    diner, _, _ = await register(client, password="correct horse battery")
    await claim(client, diner, free)
    await claim(client, diner, priced)  # awaiting payment: nothing was paid
    done = (await gql(client, DELETE, {"p": "correct horse battery"}, diner))["data"]["deleteMyAccount"]
    assert done == {"deleted": True, "errors": []}


async def test_a_non_refundable_voucher_is_said_before_paying_and_when_deleting(client, services):
    """不可退: the fine print never said so (the buyer learned it at refundClaim), and deletion
    told them to refund a voucher that can't be refunded."""
    from tests.test_error_language import post

    _, _, deal = await a_deal(client, priceCents=6800, quantity=5, refundAnytime=False)
    _, _, refundable = await a_deal(client, priceCents=3900, quantity=5, refundOnExpiry=True)
    _, _, free = await a_deal(client, priceCents=0, quantity=5)
    terms = "query($d: ID!) { deal(id: $d) { finePrint { code text textEn } } }"
    lines = {}
    for offer in (deal, refundable, free):
        shown = (await gql(client, terms, {"d": offer}))["data"]["deal"]["finePrint"]
        lines[offer] = [(line["text"], line["textEn"]) for line in shown if line["code"] == "REFUND"]
    assert lines == {
        deal: [("不可退款", "Non-refundable")],
        refundable: [("随时退 · 过期自动退", "Refund anytime; refunded automatically if unused")],
        free: [],  # nothing paid, nothing to refund
    }
    diner, _, _ = await register(client, password="correct horse battery")
    held = await claim(client, diner, deal)
    assert await pay(client, services, held["claim"]["payment"]["intentId"]) == 200
    delete = "mutation($p: String!) { deleteMyAccount(password: $p) { deleted errors { code message } } }"
    refused = (await post(client, delete, {"p": "correct horse battery"}, "zh-CN", diner))["data"]["deleteMyAccount"]
    assert refused["errors"] == [
        {"code": "UNUSED_VOUCHERS", "message": "账户内还有未使用的已付款券（含不可退款的券），请先使用或等过期后再注销"}
    ]
