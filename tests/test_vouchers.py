"""Issue 21: deal conditions, use window, voucher life (expiry, 随时退 / 过期自动退, reminders),
the arq job runner with two workers, and merchant trends; through the endpoint, both backends."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fakeredis import FakeServer

from models.deals import Claim, Deal
from resolvers import job_queue
from resolvers.deals import voucher_life
from resolvers.deals.conditions import Conditions
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_correctness_money import pay, refunds_of
from tests.test_deals import REFUND, a_deal, claim, code_of, iso

SHANGHAI = ZoneInfo("Asia/Shanghai")
REDEEM = """
mutation($c: String!, $p: Int) { redeemVoucher(code: $c, billCents: 10000, partySize: $p) {
  claim { status } errors { field code } } }
"""
DEAL = """
query($d: ID!) { deal(id: $d) { useStartsAt useEndsAt refundAnytime refundOnExpiry
  conditions { validWeekdays timeWindows { start end } excludedDates newCustomersOnly minPartySize
    maxPartySize reservationRequired onePerTable stackable }
  finePrint { code text textEn } } }
"""
CREATE_ERRORS = "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } errors { field code } } }"
MINE = "{ myClaims(first: 50) { edges { node { id status validUntil } } } }"
TRENDS = """
query($r: ID!, $from: Date!, $to: Date!) { restaurantTrends(restaurantId: $r, from: $from, to: $to) {
  timeZone days { date views claims redemptions revenueCents bySource { type views claims redemptions } }
  redemptionHeatmap { weekday hour redemptions } } }
"""
NOTES = "{ notifications(first: 20) { edges { node { kind } } } }"


def today_weekday() -> int:
    return datetime.now(SHANGHAI).isoweekday()


async def redeem(client, owner, code, party=None):
    return (await gql(client, REDEEM, {"c": code, "p": party}, owner))["data"]["redeemVoucher"]


async def test_conditions_are_validated_shown_and_enforced(client):
    owner, restaurant, _ = await a_deal(client)
    bad = {
        "restaurantId": restaurant,
        "title": "午市套餐",
        "priceCents": 0,
        "originalPriceCents": 9900,
        "quantity": 5,
        "startsAt": iso(timedelta(minutes=-1)),
        "endsAt": iso(timedelta(days=5)),
        "useEndsAt": iso(timedelta(days=2)),
        "conditions": {
            "validWeekdays": [0, 8],
            "timeWindows": [{"start": "14:00:00", "end": "11:00:00"}],
            "minPartySize": 5,
            "maxPartySize": 2,
        },
    }
    errors = (await gql(client, CREATE_ERRORS, {"i": bad}, owner))["data"]["createDeal"]["errors"]
    assert {(e["field"], e["code"]) for e in errors} == {
        ("useEndsAt", "INVALID_TIME_RANGE"),
        ("conditions.validWeekdays", "OUT_OF_RANGE"),
        ("conditions.timeWindows", "INVALID_TIME_RANGE"),
        ("conditions.maxPartySize", "INVALID"),
    }
    other_day = today_weekday() % 7 + 1
    _, _, weekdays = await a_deal(
        client,
        owner,
        restaurant,
        conditions={"validWeekdays": [other_day], "reservationRequired": True, "stackable": False},
    )
    shown = (await gql(client, DEAL, {"d": weekdays}))["data"]["deal"]
    assert shown["conditions"]["validWeekdays"] == [other_day]
    assert [line["code"] for line in shown["finePrint"]] == ["USE_WINDOW", "WEEKDAYS", "RESERVATION", "STACKABLE"]
    zh = "周一 周二 周三 周四 周五 周六 周日".split()[other_day - 1]
    assert [line["text"] for line in shown["finePrint"][1:]] == [f"仅限{zh}可用", "需提前预约", "不可与店内其他优惠同享"]
    diner, _, _ = await register(client)
    wrong_day = await redeem(client, owner, (await claim(client, diner, weekdays))["claim"]["code"])
    assert wrong_day["errors"] == [{"field": "code", "code": "NOT_USABLE_NOW"}]

    _, _, party = await a_deal(
        client, owner, restaurant, perUserLimit=2, conditions={"minPartySize": 2, "maxPartySize": 4, "onePerTable": True}
    )
    first = (await claim(client, diner, party))["claim"]["code"]
    second = (await claim(client, diner, party))["claim"]["code"]
    assert (await redeem(client, owner, first))["errors"][0] == {"field": "partySize", "code": "INVALID"}
    assert (await redeem(client, owner, first, 6))["errors"][0]["code"] == "PARTY_SIZE"
    assert (await redeem(client, owner, first, 3))["claim"]["status"] == "REDEEMED"
    one_per_table = await gql(client, REDEEM_SAID, {"c": second, "p": 3}, owner)
    assert one_per_table["data"]["redeemVoucher"]["errors"] == [
        {"code": "NOT_STACKABLE", "message": "One per table: one was already used"}
    ]

    _, _, newbies = await a_deal(client, owner, restaurant, conditions={"newCustomersOnly": True})
    assert (await claim(client, diner, newbies))["errors"][0]["code"] == "NEW_CUSTOMERS_ONLY"
    newcomer, _, _ = await register(client)
    assert (await claim(client, newcomer, newbies))["errors"] == []


async def test_use_window_is_separate_from_the_sale_window(client):
    use_from = datetime.now(UTC) + timedelta(days=1)
    use_until = datetime.now(UTC) + timedelta(days=30)
    owner, _, deal = await a_deal(client, useStartsAt=use_from.isoformat(), useEndsAt=use_until.isoformat())
    diner, _, _ = await register(client)
    code = (await claim(client, diner, deal))["claim"]["code"]
    mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"][0]["node"]
    assert abs(datetime.fromisoformat(mine["validUntil"]) - use_until) < timedelta(seconds=1)
    assert (await redeem(client, owner, code))["errors"][0]["code"] == "VOUCHER_NOT_YET_VALID"
    shown = (await gql(client, DEAL, {"d": deal}))["data"]["deal"]
    window = shown["finePrint"][0]
    # Mid-day ends are shown with their local time (round 12); usable from the next whole minute.
    first = (use_from.astimezone(SHANGHAI) + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    last = use_until.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    assert window["text"] == f"有效期：{first} 至 {last}（Asia/Shanghai）"
    assert window["textEn"] == f"Use {first} to {last} (Asia/Shanghai)"


async def _paid_claim(client, services, deal):
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    assert await pay(client, services, intent) == 200
    return diner, held["claim"]["id"], intent


async def _past_use_window(*claim_ids: str) -> None:
    """Time travel: these vouchers' use window ended a second ago."""
    ids = [decode(c, "Claim", "id") for c in claim_ids]
    await Claim.filter(id__in=ids).update(valid_until=datetime.now(UTC) - timedelta(seconds=1))


async def test_expiry_refunds_auto_refund_deals_once_with_two_arq_workers(client, services, settings):
    _, _, auto = await a_deal(client, priceCents=5000, quantity=10, refundOnExpiry=True, refundAnytime=False)
    _, _, plain = await a_deal(client, priceCents=3000, quantity=10)
    auto_claims = [await _paid_claim(client, services, auto) for _ in range(3)]
    _, plain_id, plain_intent = await _paid_claim(client, services, plain)
    await _past_use_window(*(c for _, c, _ in auto_claims), plain_id)

    fake = None if settings.redis_url else FakeServer()
    pools = [job_queue.arq_redis(settings, fake) for _ in range(2)]
    now = time.time() + uuid.uuid4().int % 10**6 * 3600  # a slot of this test's own
    enqueued = await asyncio.gather(*(job_queue.enqueue_due(p, settings, now) for p in pools))
    jobs_due = len([j for j in job_queue._enabled(settings)])
    assert sum(enqueued) == jobs_due  # both tickers ran: each slot enqueued once
    workers = [job_queue.make_worker(services, p, burst=True) for p in pools]
    await asyncio.gather(*(w.async_run() for w in workers))
    assert sum(w.jobs_complete for w in workers) == jobs_due
    ours = {job_queue.slot_id(settings, j, i, now) for j, i in job_queue._enabled(settings)}
    results = [r for r in await pools[0].all_job_results() if r.job_id in ours]
    assert Counter(r.job_id for r in results) == Counter(ours) and all(r.success for r in results)
    for w in workers:
        await w.close()

    for diner, _, intent in auto_claims:
        mine = (await gql(client, MINE, token=diner))["data"]["myClaims"]["edges"]
        assert [e["node"]["status"] for e in mine] == ["REFUNDED"]
        assert refunds_of(services, intent) == [(intent, 5000)]
        kinds = [e["node"]["kind"] for e in (await gql(client, NOTES, token=diner))["data"]["notifications"]["edges"]]
        assert kinds == ["refund_completed", "voucher_paid"]  # 过期自动退 told once, by the worker that refunded
    assert refunds_of(services, plain_intent) == []
    assert (await Claim.get(id=decode(plain_id, "Claim", "id"))).status.value == "expired"
    # The job runs again (the in-process loop does every second): nothing changes twice.
    await asyncio.gather(voucher_life.expire_vouchers(services), voucher_life.expire_vouchers(services))
    assert [len(refunds_of(services, i)) for _, _, i in auto_claims] == [1, 1, 1]


async def test_refund_anytime_option_and_unpaid_claims_end_cancelled(client, services):
    _, _, strict = await a_deal(client, priceCents=5000, quantity=5, refundAnytime=False)
    diner, claim_id, intent = await _paid_claim(client, services, strict)
    refused = (await gql(client, REFUND, {"c": claim_id}, diner))["data"]["refundClaim"]
    assert refused["errors"][0]["code"] == "REFUND_NOT_ALLOWED"
    assert refunds_of(services, intent) == []
    other, _, _ = await register(client)
    held = await claim(client, other, strict)
    cancelled = (await gql(client, REFUND, {"c": held["claim"]["id"]}, other))["data"]["refundClaim"]
    assert cancelled["claim"]["status"] == "CANCELLED"
    _, _, easy = await a_deal(client, priceCents=5000, quantity=5)
    diner2, claim2, intent2 = await _paid_claim(client, services, easy)
    done = (await gql(client, REFUND, {"c": claim2}, diner2))["data"]["refundClaim"]
    assert done["claim"]["status"] == "REFUNDED" and refunds_of(services, intent2) == [(intent2, 5000)]


async def test_one_reminder_before_a_voucher_expires(client, services):
    _, _, deal = await a_deal(client, endsAt=iso(timedelta(days=1)), useEndsAt=iso(timedelta(days=2)))
    diner, _, _ = await register(client)
    await claim(client, diner, deal)
    _, _, later = await a_deal(client, useEndsAt=iso(timedelta(days=20)))
    await claim(client, diner, later)
    await asyncio.gather(*(voucher_life.remind_expiring(services) for _ in range(3)))
    kinds = [e["node"]["kind"] for e in (await gql(client, NOTES, token=diner))["data"]["notifications"]["edges"]]
    assert kinds.count("deal_expiring") == 1


async def test_trends_daily_series_and_heatmap_in_restaurant_time(client, services):
    owner, restaurant, deal = await a_deal(client, priceCents=2500, quantity=10)
    view = "mutation($d: ID!) { recordDealView(dealId: $d) }"
    for _ in range(3):  # three viewers (one viewer's repeats count once: test_deals.py)
        viewer, _, _ = await register(client)
        assert (await gql(client, view, {"d": deal}, viewer))["data"]["recordDealView"]
    diner, claim_id, _ = await _paid_claim(client, services, deal)
    code = (await gql(client, "{ myClaims { edges { node { code } } } }", token=diner))["data"]["myClaims"]
    assert (await redeem(client, owner, code["edges"][0]["node"]["code"]))["claim"]["status"] == "REDEEMED"
    local = datetime.now(SHANGHAI)
    span = {"r": restaurant, "from": str(local.date() - timedelta(days=6)), "to": str(local.date())}
    trends = (await gql(client, TRENDS, span, owner))["data"]["restaurantTrends"]
    assert trends["timeZone"] == "Asia/Shanghai" and len(trends["days"]) == 7
    today = trends["days"][-1]
    assert (today["date"], today["views"], today["claims"], today["redemptions"], today["revenueCents"]) == (
        str(local.date()), 3, 1, 1, 2500,
    )
    assert today["bySource"] == [{"type": "DIRECT", "views": 3, "claims": 1, "redemptions": 1}]
    assert all(d["views"] == 0 for d in trends["days"][:-1])
    assert trends["redemptionHeatmap"] == [{"weekday": local.isoweekday(), "hour": local.hour, "redemptions": 1}]
    denied = await gql(client, TRENDS, span, viewer, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    too_long = {**span, "from": "2020-01-01"}
    bad = await gql(client, TRENDS, too_long, owner, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_voucher_codes_use_every_symbol_in_every_place():
    """resolvers/deals/vouchers.new_code: 60 random bits, 5 per character, read at once; each
    of the 12 places takes each of the 32 symbols (so no place is stuck or biased to a few),
    and a code reads back through the forgiving form a diner types."""
    from resolvers.deals.vouchers import ALPHABET, LENGTH, display, new_code, normalise

    codes = [new_code() for _ in range(4000)]
    assert len(set(codes)) == len(codes)
    for place in range(LENGTH):
        assert {code[place] for code in codes} == set(ALPHABET), place
    assert all(len(code) == LENGTH and normalise(display(code).lower()) == code for code in codes)


async def test_parallel_redemptions_of_a_new_customer_deal_let_one_through(client):
    """Two new-customer vouchers of one restaurant, redeemed at the same moment at two tills: the
    diner is a new customer for the first only (the check runs after the diner's redemptions are
    serialized, inside the redeeming transaction). Since round 12 nobody can buy two (one per
    person, one new-customer deal per restaurant): the deals become new-customer ones after the
    claims, in the database."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    newbies = [(await a_deal(client, owner, restaurant, perUserLimit=5))[2] for _ in range(2)]
    diners = [(await register(client))[0] for _ in range(3)]
    held = [[(await claim(client, diner, deal))["claim"]["code"] for deal in newbies] for diner in diners]
    rule = Conditions(new_customers_only=True).to_json()
    await Deal.filter(id__in=[decode(d, "Deal", "id") for d in newbies]).update(conditions=rule)
    for codes in held:  # three diners, each with two vouchers redeemed in parallel
        results = await asyncio.gather(*(redeem(client, owner, code) for code in codes))
        redeemed = [r for r in results if r["errors"] == [] and r["claim"]["status"] == "REDEEMED"]
        refused = [r["errors"][0]["code"] for r in results if r["errors"]]
        assert (len(redeemed), refused) == (1, ["NEW_CUSTOMERS_ONLY"]), results


async def test_not_combinable_holds_whichever_voucher_the_till_scans_first(client):
    owner, restaurant, alone = await a_deal(client, conditions={"stackable": False})
    _, _, combinable = await a_deal(client, owner, restaurant)
    for first, second in ((alone, combinable), (combinable, alone)):
        diner, _, _ = await register(client)
        codes = [code_of(await claim(client, diner, deal)) for deal in (first, second)]
        assert (await redeem(client, owner, codes[0]))["errors"] == []
        assert (await redeem(client, owner, codes[1]))["errors"][0]["code"] == "NOT_STACKABLE"


async def test_a_first_timer_s_new_customer_voucher_holds_whichever_the_till_scans_first(client):
    """A first-time diner with a 新客专享 voucher and an ordinary one at one table: scanning the
    ordinary one first made them a "returning customer" and refused the voucher they paid for.
    A voucher used at an earlier visit (more than VISIT_HOURS ago) still makes them returning."""
    owner, restaurant, newbies = await a_deal(client, conditions={"newCustomersOnly": True})
    _, _, ordinary = await a_deal(client, owner, restaurant)
    for order in ((ordinary, newbies), (newbies, ordinary)):
        diner, _, _ = await register(client)
        codes = {deal: code_of(await claim(client, diner, deal)) for deal in order}
        for deal in order:
            done = await redeem(client, owner, codes[deal])
            assert (done["errors"], done["claim"]["status"]) == ([], "REDEEMED"), (order, done)
    regular, _, _ = await register(client)
    first_visit = code_of(await claim(client, regular, ordinary))
    held = code_of(await claim(client, regular, newbies))  # not returning yet when claiming
    assert (await redeem(client, owner, first_visit))["errors"] == []
    four_hours_ago = datetime.now(UTC) - timedelta(hours=4)
    await Claim.filter(code=first_visit.replace("-", "")).update(redeemed_at=four_hours_ago)
    assert (await redeem(client, owner, held))["errors"][0]["code"] == "NEW_CUSTOMERS_ONLY"


REDEEM_SAID = "mutation($c: String!, $p: Int) { redeemVoucher(code: $c, partySize: $p) { errors { code message } } }"
SPEND = "query($r: ID!) { restaurant(id: $r) { ratingSummary { averageSpendCents } } }"
REDEEM_BILL = """
mutation($c: String!, $b: Int, $p: Int) { redeemVoucher(code: $c, billCents: $b, partySize: $p) {
  claim { status billCents } errors { field code } } }
"""


async def test_a_bill_counts_toward_renjun_per_person_of_the_party_at_the_till(client):
    """人均: a bill redeemed with a party size counts as the bill over the party (to the cent,
    half up); without one, as one diner's spend (as before)."""
    owner, restaurant, deal = await a_deal(client)

    async def spend_after(bill, party):
        code = code_of(await claim(client, (await register(client))[0], deal))
        done = (await gql(client, REDEEM_BILL, {"c": code, "b": bill, "p": party}, owner))["data"]
        assert done["redeemVoucher"]["errors"] == [] and done["redeemVoucher"]["claim"]["billCents"] == bill
        summary = (await gql(client, SPEND, {"r": restaurant}))["data"]["restaurant"]["ratingSummary"]
        return summary["averageSpendCents"]

    assert await spend_after(40000, 4) == 10000  # ¥400 for four: ¥100 a head, not ¥400
    assert await spend_after(20000, None) == 15000  # no party size: the whole bill, one diner
    assert await spend_after(3, 2) == 10001  # 1.5 fen each → 2 (half up): (10000 + 20000 + 2) / 3
