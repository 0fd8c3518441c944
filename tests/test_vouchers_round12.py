"""Round 12: vouchers as Meituan group-buy users and tills use them, through the endpoint."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from resolvers.deals import voucher_life
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_deals import a_deal, claim, code_of, deal_input

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHECK = "query($c: String!) { voucherCheck(code: $c) { usable problem { code } claim { status } } }"
REDEEM = """
mutation($c: String!) { redeemVoucher(code: $c, billCents: 8800) { claim { status } errors { field code } } }
"""


def full_width(text: str) -> str:
    """What a Chinese IME in 全角 mode types for ASCII letters, digits and the dash."""
    return "".join("－" if ch == "-" else chr(ord(ch) + 0xFEE0) for ch in text)


async def test_a_code_typed_in_full_width_or_pasted_with_its_label_is_found(client):
    # A till on a Chinese keyboard left in 全角 mode typed ＡＺ０Ｒ－５２ＰＦ… and was told
    # NOT_FOUND; so was a code pasted from a chat as 「券码：AZ0R-52PF-4XWE」.
    owner, _, deal = await a_deal(client)
    diner, _, _ = await register(client)
    code = code_of(await claim(client, diner, deal))
    checked = (await gql(client, CHECK, {"c": full_width(code)}, owner))["data"]["voucherCheck"]
    assert checked == {"usable": True, "problem": None, "claim": {"status": "ISSUED"}}
    pasted = (await gql(client, CHECK, {"c": f"券码：{code.lower()}"}, owner))["data"]["voucherCheck"]
    assert pasted["usable"] is True
    taken = (await gql(client, REDEEM, {"c": full_width(code)}, owner))["data"]["redeemVoucher"]
    assert taken == {"claim": {"status": "REDEEMED"}, "errors": []}
    # Still exactly twelve symbols of ours: one character short is no voucher.
    short = (await gql(client, CHECK, {"c": full_width(code[:-1])}, owner))["data"]["voucherCheck"]
    assert short["problem"] == {"code": "NOT_FOUND"}


NOTES = "{ notifications(first: 20) { edges { node { kind message } } } }"
FINE_PRINT = "query($d: ID!) { deal(id: $d) { finePrint { code text textEn } } }"


async def test_the_use_window_says_the_local_time_a_voucher_stops_on_its_last_day(client):
    # 有效期 showed dates only: a voucher usable until 14:00 on its last day read 「至 12-09」,
    # and a diner coming for dinner that day was refused VOUCHER_EXPIRED at the till.
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    lunch_only = today + timedelta(days=2, hours=14)
    owner, restaurant, deal = await a_deal(
        client,
        endsAt=lunch_only.isoformat(),
        useStartsAt=(today + timedelta(days=1)).isoformat(),
        useEndsAt=lunch_only.isoformat(),
    )
    line = (await gql(client, FINE_PRINT, {"d": deal}))["data"]["deal"]["finePrint"][0]
    day1, day2 = (today + timedelta(days=1)).date(), lunch_only.date()
    assert line == {
        "code": "USE_WINDOW",
        "text": f"有效期：{day1} 至 {day2} 14:00（Asia/Shanghai）",
        "textEn": f"Use {day1} to {day2} 14:00 (Asia/Shanghai)",
    }
    # A window ending at local midnight is whole days: through the day before, no time shown.
    midnight = today + timedelta(days=3)
    _, _, whole = await a_deal(
        client,
        owner,
        restaurant,
        endsAt=midnight.isoformat(),
        useStartsAt=(today + timedelta(days=1)).isoformat(),
    )
    line = (await gql(client, FINE_PRINT, {"d": whole}))["data"]["deal"]["finePrint"][0]
    assert line["text"] == f"有效期：{day1} 至 {(today + timedelta(days=2)).date()}（Asia/Shanghai）"


async def test_the_expiry_reminder_names_the_restaurant_and_the_local_time(client, services):
    # It said 「…券将在 48 小时内过期」: stale by the time it was read, and naming no restaurant
    # (two 双人套餐 vouchers from two places read alike).
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    lapses = today + timedelta(days=2, hours=14, minutes=30)
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    _, _, deal = await a_deal(client, owner, restaurant, title="双人套餐", endsAt=lapses.isoformat())
    diner, _, _ = await register(client)
    code_of(await claim(client, diner, deal))
    await voucher_life.remind_expiring(services)
    notes = (await gql(client, NOTES, token=diner))["data"]["notifications"]["edges"]
    told = [n["node"]["message"] for n in notes if n["node"]["kind"] == "deal_expiring"]
    assert told == [
        f"你在「蜀大侠火锅」的「双人套餐」券将于 {lapses.month}月{lapses.day}日 14:30 过期，记得去用"
    ]


CREATE_ERRORS = "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } errors { field code } } }"


async def test_a_new_customers_only_deal_is_one_per_person(client):
    # 新客专享 with perUserLimit 2 sold a second voucher the till then always refused
    # (NEW_CUSTOMERS_ONLY: the first visit made the diner a returning customer); not 随时退, the
    # money was lost with it.
    owner, restaurant, _ = await a_deal(client)
    trap = deal_input(
        restaurant,
        priceCents=9900,
        perUserLimit=2,
        refundAnytime=False,
        conditions={"newCustomersOnly": True},
    )
    errors = (await gql(client, CREATE_ERRORS, {"i": trap}, owner))["data"]["createDeal"]["errors"]
    assert errors == [{"field": "perUserLimit", "code": "INVALID"}]
    fine = {**trap, "perUserLimit": 1}
    made = (await gql(client, CREATE_ERRORS, {"i": fine}, owner))["data"]["createDeal"]
    assert made["errors"] == [] and made["deal"]["id"]
