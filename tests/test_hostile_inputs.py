"""Hostile argument values, through the endpoint: dates at the ends of the calendar, time-zone
names that are paths, strings longer than the column they are looked up in. Each is a clear
error with a code (a payload UserError, or BAD_USER_INPUT for a query), never a 500."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.schedule import NOT_ZONES, time_zones
from tests.helpers import account_with_role, gql, open_restaurant, random_spot, register
from tests.tables_helpers import ANSWER, INBOX, SLOT_LIST, at, book, open_slots
from tests.test_deals import CREATE as CREATE_DEAL
from tests.test_deals import a_deal, deal_input, iso
from tests.test_meals import host_meal

# Year 1 ahead of UTC and year 9999 behind it are no instant in UTC (OverflowError, "year 0 is
# out of range"); the others convert but are still refused as nonsense.
EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
]
EDGE_DAYS = ["0001-01-01", "9999-12-31"]
INSIGHTS = """query($r: ID!, $a: DateTime!, $b: DateTime!) {
  restaurantInsights(restaurantId: $r, from: $a, to: $b) { funnel { views } } }"""
TRENDS = """query($r: ID!, $a: Date!, $b: Date!) {
  restaurantTrends(restaurantId: $r, from: $a, to: $b) { timeZone } }"""
HOURS = """mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  restaurant { openingHours { timezone } } errors { field code } } }"""
MEAL = "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { field code } } }"
EVENT = """mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) {
  event { id } errors { field code } } }"""
SLOTS = """mutation($r: ID!, $s: [BookingSlotInput!]!) { setBookingSlots(restaurantId: $r, slots: $s) {
  slots { id } errors { field code } } }"""
BOOK = "mutation($i: BookTableInput!) { bookTable(input: $i) { booking { id } errors { field code } } }"
POLL = """mutation($m: ID!, $o: [PollOptionInput!]!) {
  createMealPoll(mealId: $m, kind: TIME, question: "哪天？", options: $o) { poll { id } errors { field code } } }"""
PROFILE = "mutation($z: String) { updateProfile(input: {timezone: $z}) { user { timezone } errors { field code } } }"


def bad_input(body: dict) -> dict:
    """The one GraphQL error of a refused query: BAD_USER_INPUT, nothing masked."""
    assert body["data"] is None, body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"], body
    return body["errors"][0]


async def test_dates_at_the_ends_of_the_calendar_are_refused_in_queries(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    for value in EDGES:
        for a, b in ((value, iso(timedelta(0))), (iso(timedelta(days=-1)), value)):
            refused = bad_input(await gql(client, INSIGHTS, {"r": restaurant, "a": a, "b": b}, owner, expect_errors=True))
            assert refused["extensions"]["reason"] == "OUT_OF_RANGE", (a, b, refused)
            # Public, and on PostgreSQL asyncpg itself overflowed converting year 1 ahead of UTC.
            refused = bad_input(await gql(client, SLOT_LIST, {"r": restaurant, "a": a, "b": b}, expect_errors=True))
            assert refused["extensions"]["field"] in ("start", "end"), refused
    for day in EDGE_DAYS:
        bad_input(await gql(client, INBOX, {"r": restaurant, "d": day}, owner, expect_errors=True))
        bad_input(await gql(client, TRENDS, {"r": restaurant, "a": day, "b": day}, owner, expect_errors=True))
    # The window's own ends work, in zones whose old local mean time is far from UTC too
    # (Pago Pago's was +12:37: year 1 there is year 0 in UTC).
    for zone in ("Pacific/Pago_Pago", "Pacific/Kiritimati"):
        assert (await gql(client, HOURS, {"r": restaurant, "i": {"timezone": zone}}, owner))["data"][
            "setOpeningHours"
        ]["errors"] == []
        for day in ("2000-01-01", "2100-12-31"):
            assert (await gql(client, INBOX, {"r": restaurant, "d": day}, owner))["data"]["reservationInbox"] == []
    # Not staff: still FORBIDDEN first, whatever the day.
    stranger, _, _ = await register(client)
    denied = await gql(client, INBOX, {"r": restaurant, "d": EDGE_DAYS[0]}, stranger, expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Bounds given with any offset find the slot stored in UTC (SQLite compares the text).
    when = datetime.fromisoformat(at(30))
    await open_slots(client, owner, restaurant, (when.isoformat(), 4))
    east, west = timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))
    span = {
        "r": restaurant,
        "a": (when - timedelta(hours=1)).astimezone(east).isoformat(),
        "b": (when + timedelta(hours=1)).astimezone(west).isoformat(),
    }
    assert len((await gql(client, SLOT_LIST, span))["data"]["bookingSlots"]) == 1


async def test_deal_times_at_the_ends_of_the_calendar_are_payload_errors(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    base = deal_input(restaurant, title="双人套餐", quantity=5)
    cases = [({"startsAt": v}, "startsAt") for v in EDGES]
    cases += [({"useStartsAt": v}, "useStartsAt") for v in EDGES]
    cases += [({"useStartsAt": v, "useEndsAt": iso(timedelta(days=9))}, "useStartsAt") for v in EDGES]
    cases += [({"conditions": {"excludedDates": [day]}}, "conditions.excludedDates") for day in EDGE_DAYS]
    for change, field in cases:
        payload = (await gql(client, CREATE_DEAL, {"i": {**base, **change}}, owner))["data"]["createDeal"]
        assert payload["deal"] is None, (change, payload)
        assert {"field": field, "code": "OUT_OF_RANGE"} in [
            {"field": e["field"], "code": e["code"]} for e in payload["errors"]
        ], (change, payload)
    # Usable only from after the sale ends (no useEndsAt): an empty use window, refused too.
    late = {**base, "useStartsAt": iso(timedelta(days=8))}
    payload = (await gql(client, CREATE_DEAL, {"i": late}, owner))["data"]["createDeal"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("useStartsAt", "INVALID_TIME_RANGE")]
    await a_deal(client, owner, restaurant, useStartsAt=iso(timedelta(days=1)))  # a real one still works


async def test_schedule_times_at_the_ends_of_the_calendar_are_payload_errors(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    soon, later = at(48), at(50)
    slot = at(30)
    await open_slots(client, owner, restaurant, (slot, 6))
    booking = (await book(client, diner, restaurant, slot, 2))["booking"]["id"]
    # Year 1 with no offset at all is refused as INVALID, never converted in the server's zone.
    for value in [*EDGES, "0001-01-01T00:00:00", "9999-12-31T23:59:59"]:
        answers = {
            "createSharedMeal": await gql(
                client, MEAL, {"i": {"restaurantId": restaurant, "title": "局", "startsAt": value, "capacity": 4}}, diner
            ),
            "createRestaurantEvent": await gql(
                client,
                EVENT,
                {"i": {"restaurantId": restaurant, "title": "活动", "startsAt": soon, "endsAt": value, "capacity": 4}},
                owner,
            ),
            "setBookingSlots": await gql(client, SLOTS, {"r": restaurant, "s": [{"startsAt": value, "seats": 2}]}, owner),
            "bookTable": await gql(
                client, BOOK, {"i": {"restaurantId": restaurant, "startsAt": value, "partySize": 2}}, diner
            ),
            "createMealPoll": await gql(client, POLL, {"m": meal, "o": [{"startsAt": value}, {"startsAt": later}]}, host),
            "answerReservationRequest": await gql(client, ANSWER, {"id": booking, "d": "PROPOSE", "p": value}, owner),
        }
        for name, body in answers.items():
            errors = body["data"][name]["errors"]
            assert errors and errors[0]["code"] in ("IN_THE_PAST", "OUT_OF_RANGE", "INVALID", "INVALID_TIME_RANGE"), (
                name,
                value,
                errors,
            )


async def test_time_zones_are_names_from_the_zone_list_only(client):
    """ZoneInfo("America") opened a directory (IsADirectoryError), 300 characters were "File
    name too long", and "Factory"/"posixrules" were saved: now one list for people and places."""
    diner, _, _ = await register(client)
    owner, restaurant = await open_restaurant(client, *random_spot())
    assert "Asia/Shanghai" in time_zones() and not NOT_ZONES & time_zones()
    for name in ("America", "Etc", "x" * 300, "Asia/" + "x" * 255, "posixrules", "Factory", "localtime", "../UTC"):
        profile = (await gql(client, PROFILE, {"z": name}, diner))["data"]["updateProfile"]
        assert profile["errors"] == [{"field": "timezone", "code": "INVALID"}], (name, profile)
        hours = (await gql(client, HOURS, {"r": restaurant, "i": {"timezone": name}}, owner))["data"]
        assert hours["setOpeningHours"]["errors"] == [{"field": "timezone", "code": "INVALID"}], (name, hours)
    changed = (await gql(client, PROFILE, {"z": "Europe/Berlin"}, diner))["data"]["updateProfile"]
    assert changed == {"user": {"timezone": "Europe/Berlin"}, "errors": []}


async def test_special_days_at_the_ends_of_the_calendar_are_refused(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    for day in EDGE_DAYS:
        payload = (
            await gql(client, HOURS, {"r": restaurant, "i": {"specials": [{"date": day, "ranges": []}]}}, owner)
        )["data"]["setOpeningHours"]
        assert payload["errors"] == [{"field": "specials.0.date", "code": "OUT_OF_RANGE"}], (day, payload)


async def test_strings_longer_than_their_column_are_clear_errors(client, services):
    """A filter value longer than the column's max_length made Tortoise raise a ValidationError
    (a 500) before any query; PostgreSQL would refuse it too."""
    diner, _, _ = await register(client)
    moderator, _ = await account_with_role(client, services)
    unregister = "mutation($t: String!) { unregisterPushDevice(platform: IOS, token: $t) { removed errors { field code } } }"
    for token in ("x" * 300, "ab" * 150, "not a token"):
        payload = (await gql(client, unregister, {"t": token}, diner))["data"]["unregisterPushDevice"]
        assert payload == {"removed": False, "errors": [{"field": "token", "code": "INVALID_DEVICE_TOKEN"}]}
    payload = (await gql(client, unregister, {"t": "ab" * 32}, diner))["data"]["unregisterPushDevice"]
    assert payload["errors"] == [{"field": "token", "code": "NOT_FOUND"}]  # well formed, not yours
    queue = "query($t: String) { moderationQueue(targetType: $t) { edges { node { id } } } }"
    for target_type in ("x" * 100, "Nope", "review"):
        bad_input(await gql(client, queue, {"t": target_type}, moderator, expect_errors=True))
    for target_type in ("Review", "Message", None):
        assert (await gql(client, queue, {"t": target_type}, moderator))["data"]["moderationQueue"] is not None
    # The other client strings looked up by value already answer clearly: keep it that way.
    owner, restaurant = await open_restaurant(client, *random_spot())
    _, _, deal = await a_deal(client, owner, restaurant)
    long_email = "a" * 1000 + "@example.com"
    checks = {
        'login(email: $s, password: "x")': ("INVALID_CREDENTIALS", None),
        "redeemVoucher(code: $s)": ("NOT_FOUND", owner),
        "setNotificationPreference(kind: $s, push: false)": ("UNKNOWN_KIND", diner),
        "grantLocationConsent(noticeVersion: $s)": ("INVALID", diner),
    }
    for call, (code, token) in checks.items():
        body = await gql(client, f"mutation($s: String!) {{ {call} {{ errors {{ code }} }} }}", {"s": long_email * 10}, token)
        name = call.split("(")[0]
        assert body["data"][name]["errors"][0]["code"] == code, (name, body)
    staff = "mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }"
    body = await gql(client, staff, {"r": restaurant, "e": long_email}, owner)
    assert body["data"]["addRestaurantStaff"]["errors"][0]["code"] == "NOT_FOUND"
    claim = "mutation($d: ID!, $k: String!) { claimDeal(dealId: $d, idempotencyKey: $k) { errors { field code } } }"
    body = await gql(client, claim, {"d": deal, "k": "k" * 10_000}, diner)
    assert body["data"]["claimDeal"]["errors"] == [{"field": "idempotencyKey", "code": "INVALID"}]
    check = "query($c: String!) { voucherCheck(code: $c) { __typename } }"
    assert (await gql(client, check, {"c": "A" * 10_000}, owner))["data"]["voucherCheck"]
    shared = "query($t: String!) { favouriteList(shareToken: $t) { __typename } }"
    assert (await gql(client, shared, {"t": "t" * 10_000}, diner))["data"]["favouriteList"] is None
