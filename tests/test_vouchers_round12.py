"""Round 12: vouchers as Meituan group-buy users and tills use them, through the endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.deals import Claim, Deal
from resolvers.deals import voucher_life
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_correctness_money import pay
from tests.test_deals import REFUND, a_deal, claim, code_of, deal_input, iso

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


DEAL_WINDOWS = """
query($d: ID!) { deal(id: $d) { conditions { timeWindows { start end endsNextDay } }
  finePrint { code text textEn } } }
"""
REDEEM_CODE = "mutation($c: String!) { redeemVoucher(code: $c) { claim { status } errors { code } } }"


async def test_a_late_night_window_runs_past_midnight_and_belongs_to_the_day_it_began(client):
    # 夜宵 vouchers (22:00–次日02:00) could not be made: a window had to end after it started,
    # so a bar's or a BBQ's late-night deal stopped at 23:59.
    now = datetime.now(SHANGHAI)
    if now.hour >= 22 or now.hour < 1:  # in the evening part (or just after midnight) of 21:00–03:00
        start, end = "21:00:00", "03:00:00"
    else:  # in the after-midnight part of 23:30–(two hours from now)
        start, end = "23:30:00", f"{now.hour + 2:02d}:00:00"
    began = now.date() - timedelta(days=1) if now.hour < int(end[:2]) else now.date()
    other = began + timedelta(days=1) if began < now.date() else began - timedelta(days=1)
    window = {"start": start, "end": end, "endsNextDay": True}
    owner, restaurant, good = await a_deal(
        client, conditions={"timeWindows": [window], "validWeekdays": [began.isoweekday()]}
    )
    _, _, wrong_day = await a_deal(
        client, owner, restaurant, conditions={"timeWindows": [window], "validWeekdays": [other.isoweekday()]}
    )
    shown = (await gql(client, DEAL_WINDOWS, {"d": good}))["data"]["deal"]
    assert shown["conditions"]["timeWindows"] == [window]
    times = next(line for line in shown["finePrint"] if line["code"] == "TIME_WINDOWS")
    assert times["text"] == f"可用时段：{start[:5]}–次日{end[:5]}"
    assert times["textEn"] == f"Valid {start[:5]}–{end[:5]} (next day)"
    diner, _, _ = await register(client)
    ok = (await gql(client, REDEEM_CODE, {"c": code_of(await claim(client, diner, good))}, owner))["data"]
    assert ok["redeemVoucher"] == {"claim": {"status": "REDEEMED"}, "errors": []}
    refused = (await gql(client, REDEEM_CODE, {"c": code_of(await claim(client, diner, wrong_day))}, owner))[
        "data"
    ]
    assert refused["redeemVoucher"]["errors"] == [{"code": "NOT_USABLE_NOW"}]
    # The flag says which is meant: a reversed window without it is a typo, one with it must end
    # before it starts.
    for bad in (
        {"start": "14:00:00", "end": "11:00:00"},
        {"start": "11:00:00", "end": "14:00:00", "endsNextDay": True},
    ):
        made = await gql(
            client, CREATE_ERRORS, {"i": deal_input(restaurant, conditions={"timeWindows": [bad]})}, owner
        )
        assert made["data"]["createDeal"]["errors"] == [
            {"field": "conditions.timeWindows", "code": "INVALID_TIME_RANGE"}
        ]


INSIGHTS = """
query($r: ID!, $from: DateTime!, $to: DateTime!) { restaurantInsights(restaurantId: $r, from: $from, to: $to) {
  funnel { views claims redemptions } bySource { type claims redemptions } } }
"""


async def test_vouchers_that_lapsed_unused_still_count_as_claimed_in_the_funnel(client, services):
    # The funnel counted only issued and redeemed claims: of two vouchers sold, one used and one
    # left to expire, it said 1 claimed → 1 redeemed, as if every buyer had come (核销率 100 %).
    owner, restaurant, deal = await a_deal(client, priceCents=0)
    came, _, _ = await register(client)
    lapsed, _, _ = await register(client)
    returned, _, _ = await register(client)
    used = code_of(await claim(client, came, deal))
    assert (await gql(client, REDEEM, {"c": used}, owner))["data"]["redeemVoucher"]["errors"] == []
    forgotten = await claim(client, lapsed, deal)
    await Claim.filter(id=decode(forgotten["claim"]["id"], "Claim", "id")).update(
        valid_until=datetime.now(UTC) - timedelta(seconds=1)  # time travel: its use window ended
    )
    await voucher_life.expire_vouchers(services)
    given_back = await claim(client, returned, deal)
    assert (await gql(client, REFUND, {"c": given_back["claim"]["id"]}, returned))["data"]["refundClaim"][
        "errors"
    ] == []
    window = {"r": restaurant, "from": iso(timedelta(hours=-1)), "to": iso(timedelta(hours=1))}
    insights = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
    # Sold 2 (the returned one is not a sale, but was seen: 3 views), used 1.
    assert insights["funnel"] == {"views": 3, "claims": 2, "redemptions": 1}
    assert insights["bySource"] == [{"type": "DIRECT", "claims": 2, "redemptions": 1}]


async def test_no_voucher_is_sold_that_its_days_and_hours_leave_no_time_to_use(client):
    # A deal usable on a weekday its use window never reaches was accepted, and a paid voucher
    # was sold when its days left no time to use it (weekend-only, window ending Friday night,
    # bought Thursday): the diner paid for a voucher that could only expire.
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    owner, restaurant, _ = await a_deal(client)
    never = deal_input(
        restaurant,
        endsAt=(today + timedelta(days=2)).isoformat(),
        conditions={"validWeekdays": [(today + timedelta(days=4)).isoweekday()]},
    )
    errors = (await gql(client, CREATE_ERRORS, {"i": never}, owner))["data"]["createDeal"]["errors"]
    assert errors == [{"field": "conditions", "code": "INVALID"}]

    day_after = today + timedelta(days=2)
    rules = {"validWeekdays": [day_after.isoweekday()]}
    _, _, paid = await a_deal(
        client,
        owner,
        restaurant,
        priceCents=6800,
        endsAt=(today + timedelta(days=1)).isoformat(),
        useEndsAt=(today + timedelta(days=4)).isoformat(),
        conditions=rules,
    )
    _, _, free = await a_deal(
        client,
        owner,
        restaurant,
        endsAt=(today + timedelta(days=1)).isoformat(),
        useEndsAt=(today + timedelta(days=4)).isoformat(),
        conditions=rules,
    )
    diner, _, _ = await register(client)
    # Time travel: the use window now ends as the day it is good on begins.
    ids = [decode(d, "Deal", "id") for d in (paid, free)]
    await Deal.filter(id__in=ids).update(use_ends_at=day_after.astimezone(UTC))
    refused = await claim(client, diner, paid)
    assert (refused["claim"], refused["errors"][0]["code"]) == (None, "DEAL_EXPIRED")
    assert await Claim.filter(deal_id=ids[0]).count() == 0
    assert (await claim(client, diner, free))["errors"] == []  # costs nothing: still handed out


MY_CLAIMS = """
query($s: [ClaimStatus!], $after: String) { myClaims(first: 2, status: $s, after: $after) {
  edges { node { id status } } pageInfo { hasNextPage endCursor } } }
"""


async def test_my_vouchers_can_be_listed_by_state_like_the_apps_tabs(client):
    # myClaims listed everything newest first: a diner with a pile of used vouchers paged through
    # all of them to find the one still to use (待使用) or the order still to pay (待付款).
    owner, restaurant, free = await a_deal(client, perUserLimit=5)
    _, _, paid = await a_deal(client, owner, restaurant, priceCents=3900)
    diner, _, _ = await register(client)
    issued = [await claim(client, diner, free) for _ in range(4)]
    for made in issued[1:]:
        assert (await gql(client, REDEEM, {"c": code_of(made)}, owner))["data"]["redeemVoucher"][
            "errors"
        ] == []
    unpaid = (await claim(client, diner, paid))["claim"]["id"]

    async def listed(states, after=None):
        page = (await gql(client, MY_CLAIMS, {"s": states, "after": after}, diner))["data"]["myClaims"]
        return [e["node"]["id"] for e in page["edges"]], page["pageInfo"]

    assert (await listed(["ISSUED"]))[0] == [issued[0]["claim"]["id"]]
    assert (await listed(["PENDING_PAYMENT"]))[0] == [unpaid]
    used, info = await listed(["REDEEMED"])  # pages within the state: 2, then 1
    more, last = await listed(["REDEEMED"], info["endCursor"])
    assert used + more == [m["claim"]["id"] for m in reversed(issued[1:])] and not last["hasNextPage"]
    assert len((await listed(["ISSUED", "PENDING_PAYMENT"]))[0]) == 2
    assert (await listed(None))[1]["hasNextPage"] and (await listed([]))[1]["hasNextPage"]  # all five


CLAIM_PAY = """
mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) {
  claim { payment { intentId } } errors { code } } }
"""
PAY_AGAIN = "{ myClaims(first: 1) { edges { node { payment { intentId clientSecret } } } } }"


async def test_the_test_providers_pay_sheet_is_the_same_from_any_server(client, services):
    # The development provider too: its client secret was random, kept by one process only.
    _, _, deal = await a_deal(client, priceCents=2500)
    diner, _, _ = await register(client)
    claim_pay = """mutation($d: ID!) { claimDeal(dealId: $d, idempotencyKey: "pay-sheet") {
      claim { payment { intentId clientSecret } } errors { code } } }"""
    made = (await gql(client, claim_pay, {"d": deal}, diner))["data"]["claimDeal"]["claim"]["payment"]
    services.payments.intents.clear()  # another process, or this one restarted
    again = (await gql(client, PAY_AGAIN, token=diner))["data"]["myClaims"]["edges"][0]["node"]["payment"]
    assert (
        again == {"intentId": made["intentId"], "clientSecret": made["clientSecret"]} and made["clientSecret"]
    )


async def test_a_paid_voucher_usable_later_says_from_when_not_that_it_can_be_used(client, services):
    # 购买成功 said 「券码已可使用」 for a voucher usable only from next week: its holder came the
    # next day and the till answered VOUCHER_NOT_YET_VALID.
    today = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    usable_from = today + timedelta(days=3, hours=11)
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    _, _, later = await a_deal(
        client, owner, restaurant, title="双人套餐", priceCents=9900, useStartsAt=usable_from.isoformat()
    )
    _, _, now_deal = await a_deal(client, owner, restaurant, title="单人套餐", priceCents=3900)
    diner, _, _ = await register(client)
    for deal in (later, now_deal):
        held = await gql(client, CLAIM_PAY, {"d": deal, "k": deal}, diner)
        assert await pay(client, services, held["data"]["claimDeal"]["claim"]["payment"]["intentId"]) == 200
    notes = (await gql(client, NOTES, token=diner))["data"]["notifications"]["edges"]
    told = sorted(n["node"]["message"] for n in notes if n["node"]["kind"] == "voucher_paid")
    assert told == [
        "购买成功：「蜀大侠火锅」单人套餐 ¥39.00，券码已可使用",
        f"购买成功：「蜀大侠火锅」双人套餐 ¥99.00，券码 {usable_from.month}月{usable_from.day}日 11:00 起可用",
    ]


async def test_a_diner_holds_one_new_customer_voucher_per_restaurant(client):
    # Two 新客专享 deals at one restaurant (新客单人餐, 新客双人餐) each sold to the same diner: the first
    # one used made them a returning customer and the second was dead money at the till.
    owner, restaurant, single = await a_deal(client, priceCents=3900, conditions={"newCustomersOnly": True})
    _, _, double = await a_deal(
        client, owner, restaurant, priceCents=6900, conditions={"newCustomersOnly": True}
    )
    _, _, plain = await a_deal(client, owner, restaurant, priceCents=2900)
    diner, _, _ = await register(client)
    first = await claim(client, diner, single)
    assert first["errors"] == []
    second = await claim(client, diner, double)
    assert (second["claim"], second["errors"][0]["code"]) == (None, "NEW_CUSTOMERS_ONLY")
    assert (await claim(client, diner, plain))["errors"] == []  # other deals are not affected
    # Cancelled (or refunded), the first frees the diner to choose the other one.
    assert (await gql(client, REFUND, {"c": first["claim"]["id"]}, diner))["data"]["refundClaim"][
        "errors"
    ] == []
    assert (await claim(client, diner, double))["errors"] == []


async def test_the_fine_print_names_only_excluded_dates_inside_the_use_window(client):
    """以下日期不可用：2019-01-01、… on a December deal: a date the voucher could never be used on
    anyway is noise to the buyer (the condition keeps it, harmlessly)."""
    from datetime import date

    shanghai_today = datetime.now(SHANGHAI).date()
    inside = shanghai_today + timedelta(days=3)
    excluded = [date(2019, 1, 1).isoformat(), inside.isoformat(), (shanghai_today + timedelta(days=200)).isoformat()]
    _, _, deal = await a_deal(client, conditions={"excludedDates": excluded})
    lines = (await gql(client, FINE_PRINT, {"d": deal}))["data"]["deal"]["finePrint"]
    shown = [line["text"] for line in lines if line["code"] == "EXCLUDED_DATES"]
    assert shown == [f"以下日期不可用：{inside.isoformat()}"]
