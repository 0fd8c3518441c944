"""Standalone bookings (issue 16): slots, no overbooking under parallel requests, cut-off,
no-shows and approval, through the endpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.tables import Booking
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.tables_helpers import CANCEL, NO_SHOW, POLICY, SLOT_LIST, at, book, open_slots


async def test_fifty_parallel_bookings_never_overbook_a_slot(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 20))
    diners = await asyncio.gather(*(register(client, name=f"食客{i}") for i in range(50)))
    results = await asyncio.gather(
        *(book(client, token, restaurant, when, party=1) for token, _, _ in diners)
    )
    booked = [r for r in results if not r["errors"]]
    full = [r for r in results if r["errors"]]
    assert len(booked) == 20 and {r["booking"]["status"] for r in booked} == {"CONFIRMED"}
    assert {r["errors"][0]["code"] for r in full} == {"SLOT_FULL"}
    slots = await gql(client, SLOT_LIST, {"r": restaurant, "a": at(29), "b": at(31)})
    assert slots["data"]["bookingSlots"] == [
        {
            "startsAt": slots["data"]["bookingSlots"][0]["startsAt"],
            "seats": 20,
            "seatsBooked": 20,
            "seatsLeft": 0,
        }
    ]
    # A slot never shrinks below what is booked; the whole call is refused, nothing half-written.
    body = await gql(
        client,
        "mutation($r: ID!, $s: [BookingSlotInput!]!) { setBookingSlots(restaurantId: $r, slots: $s) { errors { field code } } }",
        {"r": restaurant, "s": [{"startsAt": at(40), "seats": 5}, {"startsAt": when, "seats": 10}]},
        owner,
    )
    assert body["data"]["setBookingSlots"]["errors"] == [{"field": "slots.1.seats", "code": "OUT_OF_RANGE"}]
    assert (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(39), "b": at(41)}))["data"][
        "bookingSlots"
    ] == []


async def test_bad_bookings_are_refused_and_write_nothing(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 6))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cases = [
        (past, 2, "", "startsAt", "IN_THE_PAST"),
        (when, 0, "", "partySize", "OUT_OF_RANGE"),
        (when, 11, "", "partySize", "OUT_OF_RANGE"),
        (when, 2, "x" * 201, "note", "TOO_LONG"),
        (at(31), 2, "", "startsAt", "NOT_FOUND"),
        (when, 7, "", "partySize", "OUT_OF_RANGE"),  # after the policy below lowers the maximum
    ]
    await gql(
        client,
        POLICY,
        {"r": restaurant, "i": {"cancelCutoffMinutes": 60, "maxPartySize": 6, "noShowLimit": 2}},
        owner,
    )
    for starts_at, party, note, field, code in cases:
        payload = await book(client, diner, restaurant, starts_at, party, note)
        assert payload["booking"] is None and payload["errors"][0]["field"] == field, payload
        assert payload["errors"][0]["code"] == code
    # Slot times in the past and seat counts out of range are refused too.
    bad = await gql(
        client,
        "mutation($r: ID!, $s: [BookingSlotInput!]!) { setBookingSlots(restaurantId: $r, slots: $s) { errors { field code } } }",
        {"r": restaurant, "s": [{"startsAt": past, "seats": 4}, {"startsAt": at(50), "seats": 501}]},
        owner,
    )
    assert bad["data"]["setBookingSlots"]["errors"] == [
        {"field": "slots.0.startsAt", "code": "IN_THE_PAST"},
        {"field": "slots.1.seats", "code": "OUT_OF_RANGE"},
    ]
    # A diner cannot open slots or set the policy.
    body = await gql(client, POLICY, {"r": restaurant, "i": {}}, diner)
    assert body["data"]["setBookingPolicy"]["errors"][0]["code"] == "FORBIDDEN"
    slots = await gql(client, SLOT_LIST, {"r": restaurant, "a": at(29), "b": at(31)})
    assert slots["data"]["bookingSlots"][0]["seatsBooked"] == 0


async def test_cancellation_cut_off_and_only_your_own(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    other, _, _ = await register(client)
    soon, later = at(1), at(48)
    await open_slots(client, owner, restaurant, (soon, 4), (later, 4))
    await gql(
        client,
        POLICY,
        {"r": restaurant, "i": {"cancelCutoffMinutes": 120, "maxPartySize": 8, "noShowLimit": 2}},
        owner,
    )
    near = (await book(client, diner, restaurant, soon, 2))["booking"]["id"]
    far = (await book(client, diner, restaurant, later, 3))["booking"]["id"]
    body = await gql(client, CANCEL, {"b": near}, diner)
    assert body["data"]["cancelBooking"]["errors"] == [{"field": "bookingId", "code": "TOO_LATE"}]
    body = await gql(client, CANCEL, {"b": far}, other)
    assert body["data"]["cancelBooking"]["errors"] == [{"field": "bookingId", "code": "NOT_FOUND"}]
    body = await gql(client, CANCEL, {"b": far}, diner)
    assert body["data"]["cancelBooking"] == {"booking": {"status": "CANCELLED"}, "errors": []}
    again = await gql(client, CANCEL, {"b": far}, diner)
    assert again["data"]["cancelBooking"]["errors"][0]["code"] == "ALREADY_ANSWERED"
    slots = await gql(client, SLOT_LIST, {"r": restaurant, "a": at(47), "b": at(49)})
    assert slots["data"]["bookingSlots"][0]["seatsBooked"] == 0  # given back exactly once


async def test_no_shows_are_recorded_and_repeated_ones_need_approval(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    other_owner, other_restaurant = await open_restaurant(client, *random_spot())
    times = [at(24 + i) for i in range(3)]
    await open_slots(client, owner, restaurant, *((t, 4) for t in times))
    await open_slots(client, other_owner, other_restaurant, (times[0], 4))
    first, second = [(await book(client, diner, restaurant, t, 1))["booking"]["id"] for t in times[:2]]
    # Not before the time has come; never by a diner or another restaurant's staff.
    body = await gql(client, NO_SHOW, {"b": first}, owner)
    assert body["data"]["markBookingNoShow"]["errors"][0]["code"] == "TOO_EARLY"
    await Booking.filter(id__in=[decode(first, "Booking", "b"), decode(second, "Booking", "b")]).update(
        starts_at=datetime.now(UTC) - timedelta(minutes=30)
    )
    for token in (diner, other_owner):
        body = await gql(client, NO_SHOW, {"b": first}, token)
        assert body["data"]["markBookingNoShow"]["errors"][0]["code"] in ("FORBIDDEN", "NOT_FOUND")
    for booking in (first, second):
        body = await gql(client, NO_SHOW, {"b": booking}, owner)
        assert body["data"]["markBookingNoShow"] == {"booking": {"status": "NO_SHOW"}, "errors": []}
    # Two no-shows reach the default limit: the next booking, anywhere, waits for staff, who see
    # the record.
    payload = await book(client, diner, other_restaurant, times[0], 2)
    assert payload["booking"]["status"] == "REQUESTED"
    assert payload["booking"]["dinerRecord"] == {"noShows": 2}
    seen = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Booking { status dinerRecord { noShows } } } }",
        {"id": payload["booking"]["id"]},
        other_owner,
    )
    assert seen["data"]["node"] == {"status": "REQUESTED", "dinerRecord": {"noShows": 2}}
    hidden = await gql(
        client, "query($id: ID!) { node(id: $id) { id } }", {"id": payload["booking"]["id"]}, owner
    )
    assert hidden["data"]["node"] is None  # another restaurant's booking is not theirs to see


async def test_the_booking_policy_changes_only_the_fields_given(client):
    """Changing the party size alone reset the cancellation cut-off and the no-show rule to
    their defaults (the input's defaults were written as if given)."""
    owner, restaurant = await open_restaurant(client, *random_spot())

    async def policy(changes: dict) -> dict:
        body = (await gql(client, POLICY, {"r": restaurant, "i": changes}, owner))["data"]["setBookingPolicy"]
        assert body["errors"] == [], body
        return body["policy"]

    assert await policy({"maxPartySize": 12}) == {"cancelCutoffMinutes": 120, "maxPartySize": 12, "noShowLimit": 2}
    assert await policy({"cancelCutoffMinutes": 30, "noShowLimit": 5}) == {
        "cancelCutoffMinutes": 30,
        "maxPartySize": 12,
        "noShowLimit": 5,
    }
    assert await policy({"maxPartySize": 20}) == {"cancelCutoffMinutes": 30, "maxPartySize": 20, "noShowLimit": 5}
    assert await policy({}) == {"cancelCutoffMinutes": 30, "maxPartySize": 20, "noShowLimit": 5}
    bad = (await gql(client, POLICY, {"r": restaurant, "i": {"maxPartySize": 0}}, owner))["data"]["setBookingPolicy"]
    assert bad["errors"] == [{"field": "maxPartySize", "code": "OUT_OF_RANGE"}]


async def test_slots_are_whole_minutes_once_each_and_when_the_restaurant_is_open(client):
    """Two entries for one instant (the last silently won), 19:00:17.5 (a second "19:00" in the
    app) and 03:00 at a restaurant open 11-22 (a diner booked it) were all taken."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    hours = """mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
      errors { code } } }"""
    week = [{"weekday": d, "opens": "11:00", "closes": "22:00"} for d in range(7)]
    set_hours = {"r": restaurant, "i": {"timezone": "Asia/Shanghai", "weekly": week}}
    assert (await gql(client, hours, set_hours, owner))["data"]["setOpeningHours"]["errors"] == []
    shanghai = ZoneInfo("Asia/Shanghai")
    day = (datetime.now(shanghai) + timedelta(days=3)).date()
    seven = datetime(day.year, day.month, day.day, 19, tzinfo=shanghai)
    same_in_utc = seven.astimezone(UTC).isoformat()
    slots = [
        {"startsAt": seven.isoformat(), "seats": 5},
        {"startsAt": same_in_utc, "seats": 6},
        {"startsAt": (seven + timedelta(seconds=17.5)).isoformat(), "seats": 5},
        {"startsAt": seven.replace(hour=3).isoformat(), "seats": 4},
    ]
    document = """mutation($r: ID!, $s: [BookingSlotInput!]!) { setBookingSlots(restaurantId: $r, slots: $s) {
      slots { id } errors { field code } } }"""
    refused = (await gql(client, document, {"r": restaurant, "s": slots}, owner))["data"]["setBookingSlots"]
    assert refused == {
        "slots": [],
        "errors": [
            {"field": "slots.1.startsAt", "code": "DUPLICATE"},
            {"field": "slots.2.startsAt", "code": "INVALID"},
            {"field": "slots.3.startsAt", "code": "RESTAURANT_CLOSED"},
        ],
    }
    fine = (await gql(client, document, {"r": restaurant, "s": slots[:1]}, owner))["data"]["setBookingSlots"]
    assert fine["errors"] == [] and len(fine["slots"]) == 1
