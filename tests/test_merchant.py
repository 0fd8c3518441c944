"""A restaurant's own people: the restaurants they work at, all their deals, 验券 before redeeming."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models.deals import Deal
from schema.ids import decode
from tests.helpers import accept_staff, account_with_role, gql, open_restaurant, random_spot, register
from tests.test_deals import REDEEM, STATUS, a_deal, claim, code_of, iso

MINE = "{ myRestaurants { id name myRole } }"
MANAGED = """
query($r: ID!, $s: DealStatus, $after: String) { managedDeals(restaurantId: $r, status: $s, first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id status } } } }
"""
CHECK = """
query($c: String!) { voucherCheck(code: $c) { usable problem { code field } claim { id status code deal { id } } } }
"""
ADD = "mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }"
ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"


async def test_my_restaurants_lists_where_you_work(client):
    owner, first = await open_restaurant(client, *random_spot())
    _, second = await open_restaurant(client, *random_spot(), owner_token=owner)
    waiter, _, email = await register(client, name="服务员")
    diner, _, _ = await register(client)
    assert (await gql(client, ADD, {"r": first, "e": email}, owner))["data"]["addRestaurantStaff"][
        "errors"
    ] == []
    await accept_staff(client, first, waiter)
    mine = (await gql(client, MINE, token=owner))["data"]["myRestaurants"]
    assert [(r["id"], r["myRole"]) for r in mine] == [(first, "OWNER"), (second, "OWNER")]
    assert [
        (r["id"], r["myRole"]) for r in (await gql(client, MINE, token=waiter))["data"]["myRestaurants"]
    ] == [(first, "STAFF")]
    assert (await gql(client, MINE, token=diner))["data"]["myRestaurants"] == []
    await gql(client, ARCHIVE, {"r": second}, owner)
    assert [r["id"] for r in (await gql(client, MINE, token=owner))["data"]["myRestaurants"]] == [first]
    anonymous = await gql(client, MINE, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_managed_deals_show_paused_and_ended_ones_to_staff_only(client):
    owner, restaurant, live = await a_deal(client)
    _, _, paused = await a_deal(client, owner, restaurant)
    _, _, ended = await a_deal(client, owner, restaurant)
    await gql(client, STATUS, {"d": paused, "s": "PAUSED"}, owner)
    await gql(client, STATUS, {"d": ended, "s": "ENDED"}, owner)
    page = (await gql(client, MANAGED, {"r": restaurant}, owner))["data"]["managedDeals"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"]
    rest = await gql(client, MANAGED, {"r": restaurant, "after": page["pageInfo"]["endCursor"]}, owner)
    seen = [e["node"] for e in page["edges"] + rest["data"]["managedDeals"]["edges"]]
    assert [n["id"] for n in seen] == [ended, paused, live]  # newest first
    assert [n["status"] for n in seen] == ["ENDED", "PAUSED", "ACTIVE"]
    only = (await gql(client, MANAGED, {"r": restaurant, "s": "PAUSED"}, owner))["data"]["managedDeals"]
    assert [e["node"]["id"] for e in only["edges"]] == [paused]
    diner, _, _ = await register(client)
    refused = await gql(client, MANAGED, {"r": restaurant}, diner, expect_errors=True)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN" and refused["data"] is None


async def test_voucher_check_answers_what_redeeming_would_without_taking_it(client):
    owner, restaurant, deal = await a_deal(client)
    rival, _ = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    code = code_of(await claim(client, diner, deal))
    for _ in range(2):  # checking twice changes nothing
        body = (await gql(client, CHECK, {"c": code.lower().replace("-", " ")}, owner))["data"][
            "voucherCheck"
        ]
        assert body["usable"] is True and body["problem"] is None
        assert (body["claim"]["status"], body["claim"]["code"], body["claim"]["deal"]["id"]) == (
            "ISSUED",
            code,
            deal,
        )
    elsewhere = (await gql(client, CHECK, {"c": code}, rival))["data"]["voucherCheck"]
    assert elsewhere == {
        "usable": False,
        "problem": {"code": "WRONG_RESTAURANT", "field": "code"},
        "claim": None,
    }
    unknown = (await gql(client, CHECK, {"c": "0000-0000-0000"}, owner))["data"]["voucherCheck"]
    assert unknown["problem"]["code"] == "NOT_FOUND" and unknown["claim"] is None
    assert (await gql(client, REDEEM, {"c": code}, owner))["data"]["redeemVoucher"]["errors"] == []
    used = (await gql(client, CHECK, {"c": code}, owner))["data"]["voucherCheck"]
    assert (used["usable"], used["problem"]["code"], used["claim"]["status"]) == (
        False,
        "ALREADY_REDEEMED",
        "REDEEMED",
    )
    # Hired after buying: a colleague serves the voucher, its holder can't take it themselves.
    waiter, _, email = await register(client)
    bought = code_of(await claim(client, waiter, deal))
    assert (await gql(client, ADD, {"r": restaurant, "e": email}, owner))["data"]["addRestaurantStaff"][
        "errors"
    ] == []
    await accept_staff(client, restaurant, waiter)
    own = (await gql(client, CHECK, {"c": bought}, waiter))["data"]["voucherCheck"]
    assert own["problem"]["code"] == "OWN_CONTENT"
    assert (await gql(client, CHECK, {"c": bought}, owner))["data"]["voucherCheck"]["usable"] is True
    diner_try = (await gql(client, CHECK, {"c": code}, diner))["data"]["voucherCheck"]
    assert diner_try["problem"]["code"] == "FORBIDDEN" and diner_try["claim"] is None  # works nowhere


async def test_voucher_check_applies_the_deals_conditions(client):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).isoweekday()  # restaurants' default zone
    other_day = today % 7 + 1
    owner, restaurant, weekdays = await a_deal(client, conditions={"validWeekdays": [other_day]})
    _, _, party = await a_deal(client, owner, restaurant, conditions={"minPartySize": 2})
    diner, _, _ = await register(client)
    not_today = code_of(await claim(client, diner, weekdays))
    body = (await gql(client, CHECK, {"c": not_today}, owner))["data"]["voucherCheck"]
    assert (body["usable"], body["problem"]["code"]) == (False, "NOT_USABLE_NOW")
    redeemed = await gql(client, REDEEM, {"c": not_today}, owner)
    assert redeemed["data"]["redeemVoucher"]["errors"][0]["code"] == "NOT_USABLE_NOW"
    for_two = code_of(await claim(client, diner, party))
    checks = {
        None: ("INVALID", "partySize"),
        1: ("PARTY_SIZE", "partySize"),
        0: ("OUT_OF_RANGE", "partySize"),
    }
    for size, (code, field) in checks.items():
        body = (await gql(client, CHECK_PARTY, {"c": for_two, "p": size}, owner))["data"]["voucherCheck"]
        assert body["problem"] == {"code": code, "field": field}, size
    fine = (await gql(client, CHECK_PARTY, {"c": for_two, "p": 2}, owner))["data"]["voucherCheck"]
    assert fine["usable"] is True and fine["problem"] is None


CHECK_PARTY = """
query($c: String!, $p: Int) { voucherCheck(code: $c, partySize: $p) { usable problem { code field } } }
"""


async def test_a_closed_restaurants_people_keep_its_records(client, services):
    """After archiveRestaurant its owner still reads its deals, insights and trends, finds it with
    includeArchived, and the till answers what became of a voucher, not WRONG_RESTAURANT."""
    owner, restaurant, deal = await a_deal(client)
    diner, _, _ = await register(client)
    code = code_of(await claim(client, diner, deal))
    await gql(client, ARCHIVE, {"r": restaurant}, owner)
    assert (await gql(client, MINE, token=owner))["data"]["myRestaurants"] == []
    closed = "{ myRestaurants(includeArchived: true) { id archived } }"
    assert (await gql(client, closed, token=owner))["data"]["myRestaurants"] == [
        {"id": restaurant, "archived": True}
    ]
    page = (await gql(client, MANAGED, {"r": restaurant}, owner))["data"]["managedDeals"]
    assert [(e["node"]["id"], e["node"]["status"]) for e in page["edges"]] == [(deal, "ENDED")]
    insights = """query($r: ID!, $from: DateTime!, $to: DateTime!) {
      restaurantInsights(restaurantId: $r, from: $from, to: $to) { funnel { claims } } }"""
    span = {"r": restaurant, "from": iso(timedelta(days=-30)), "to": iso(timedelta(days=1))}
    assert "errors" not in await gql(client, insights, span, owner, expect_errors=True)
    body = (await gql(client, CHECK, {"c": code}, owner))["data"]["voucherCheck"]
    assert (body["problem"]["code"], body["claim"]["status"]) == ("CANCELLED", "CANCELLED")
    diner_view = await gql(client, closed, token=diner)
    assert diner_view["data"]["myRestaurants"] == []
    # The diner's order history still names the shop, flagged closed (已停业); it was null.
    orders = "{ myClaims { edges { node { status deal { title restaurant { name archived } } } } } }"
    held = (await gql(client, orders, token=diner))["data"]["myClaims"]["edges"]
    assert [e["node"]["deal"]["restaurant"]["archived"] for e in held] == [True]
    assert held[0]["node"]["deal"]["restaurant"]["name"]


async def test_on_sale_says_whether_a_deal_can_be_claimed_now(client):
    owner, restaurant, live = await a_deal(client)
    _, _, paused = await a_deal(client, owner, restaurant)
    await gql(client, STATUS, {"d": paused, "s": "PAUSED"}, owner)
    _, _, over = await a_deal(client, owner, restaurant)
    await Deal.filter(id=decode(over, "Deal", "id")).update(
        ends_at=datetime.now(ZoneInfo("UTC")) - timedelta(minutes=1)
    )
    query = "query($r: ID!) { managedDeals(restaurantId: $r) { edges { node { id status onSale } } } }"
    seen = {
        e["node"]["id"]: e["node"]
        for e in (await gql(client, query, {"r": restaurant}, owner))["data"]["managedDeals"]["edges"]
    }
    assert (seen[live]["onSale"], seen[paused]["onSale"], seen[over]["onSale"]) == (True, False, False)
    assert seen[over]["status"] == "ACTIVE"


REPORT = "mutation($t: ID!) { reportContent(targetId: $t, reason: SCAM) { report { id } errors { code } } }"
MODERATE = "mutation($r: ID!, $a: ModerationAction!) { moderate(reportId: $r, action: $a) { errors { code } } }"
MODERATION = """
query($r: ID!) { managedDeals(restaurantId: $r) { totalCount edges { node { id status onSale moderation } } } }
"""


async def test_staff_see_why_a_moderated_deal_is_not_selling(client, services):
    """managedDeals keeps hidden and removed deals, and `moderation` tells the restaurant's own
    people (and admins) what a moderator did; for everyone else it is null, and the deal is gone."""
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    _, _, fine = await a_deal(client, owner, restaurant, title="招牌烤鸭")
    _, _, hidden = await a_deal(client, owner, restaurant, title="虚假宣传套餐")
    _, _, removed = await a_deal(client, owner, restaurant, title="违规团购")
    waiter, _, email = await register(client, name="服务员")
    assert (await gql(client, ADD, {"r": restaurant, "e": email}, owner))["data"]["addRestaurantStaff"][
        "errors"
    ] == []
    await accept_staff(client, restaurant, waiter)
    diner, _, _ = await register(client)
    moderator, _ = await account_with_role(client, services)
    admin, _ = await account_with_role(client, services, "admin")
    for deal, action in ((hidden, "HIDE_CONTENT"), (removed, "REMOVE_CONTENT")):
        report = (await gql(client, REPORT, {"t": deal}, diner))["data"]["reportContent"]
        assert report["errors"] == [], report
        done = await gql(client, MODERATE, {"r": report["report"]["id"], "a": action}, moderator)
        assert done["data"]["moderate"]["errors"] == []
    expected = [
        {"id": removed, "status": "ACTIVE", "onSale": False, "moderation": "REMOVED"},
        {"id": hidden, "status": "ACTIVE", "onSale": False, "moderation": "HIDDEN"},
        {"id": fine, "status": "ACTIVE", "onSale": True, "moderation": "VISIBLE"},
    ]
    for token in (owner, waiter, admin):
        page = (await gql(client, MODERATION, {"r": restaurant}, token))["data"]["managedDeals"]
        assert page["totalCount"] == 3 and [e["node"] for e in page["edges"]] == expected
    # Diners (and a moderator, who is not the restaurant's staff) get null; the moderated deals are
    # not theirs to see at all.
    one = "query($d: ID!) { deal(id: $d) { id moderation } }"
    for token in (diner, moderator, None):
        assert (await gql(client, one, {"d": fine}, token))["data"]["deal"] == {"id": fine, "moderation": None}
        for gone in (hidden, removed):
            assert (await gql(client, one, {"d": gone}, token))["data"]["deal"] is None
    nearby = "query($lat: Float!, $lng: Float!) { dealsNearby(lat: $lat, lng: $lng) { edges { node { id } } } }"
    listed = (await gql(client, nearby, {"lat": lat, "lng": lng}, diner))["data"]["dealsNearby"]["edges"]
    assert [e["node"]["id"] for e in listed] == [fine]
    on_page = "query($r: ID!) { restaurant(id: $r) { deals { id moderation } } }"
    assert (await gql(client, on_page, {"r": restaurant}, diner))["data"]["restaurant"]["deals"] == [
        {"id": fine, "moderation": None}
    ]
    assert (await gql(client, on_page, {"r": restaurant}, owner))["data"]["restaurant"]["deals"] == [
        {"id": fine, "moderation": "VISIBLE"}
    ]
