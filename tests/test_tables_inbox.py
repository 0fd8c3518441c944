"""The restaurant's inbox (issue 16): requests by day, staff notified, confirm / decline with a
reason / propose another time the diner accepts, live across processes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.helpers import gql, open_restaurant, random_spot, register
from tests.servers import running_servers
from tests.tables_helpers import ANSWER, INBOX, PROPOSAL, SLOT_LIST, at, book, open_slots, subscribed
from tests.test_meals import JOIN, NOTES, RESERVE, host_meal

NOTE_KINDS = "{ notifications(first: 20) { edges { node { kind message } } } }"


async def kinds(client, token: str) -> list[str]:
    body = await gql(client, NOTE_KINDS, token=token)
    return [e["node"]["kind"] for e in body["data"]["notifications"]["edges"]]


async def test_inbox_lists_bookings_and_meal_requests_by_day_for_staff_only(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(50)
    await open_slots(client, owner, restaurant, (when, 8))
    booking = (await book(client, diner, restaurant, when, 3))["booking"]
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    assert await kinds(client, owner) == ["reservation_requested", "booking_new"]
    # The restaurant's day (Asia/Shanghai by default) of each request.
    for starts_at, request_id in ((when, booking["id"]), (None, meal)):
        if starts_at is None:
            starts_at = (
                await gql(client, "query($id: ID!) { sharedMeal(id: $id) { startsAt } }", {"id": meal})
            )["data"]["sharedMeal"]["startsAt"]
        day = datetime.fromisoformat(starts_at).astimezone(ZoneInfo("Asia/Shanghai")).date()
        lines = (await gql(client, INBOX, {"r": restaurant, "d": day.isoformat()}, owner))["data"][
            "reservationInbox"
        ]
        assert request_id in [line["requestId"] for line in lines]
    lines = (await gql(client, INBOX, {"r": restaurant, "d": "2020-01-01"}, owner))["data"][
        "reservationInbox"
    ]
    assert lines == []
    for token in (diner, host):
        denied = await gql(client, INBOX, {"r": restaurant, "d": "2020-01-01"}, token, expect_errors=True)
        assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_staff_decline_with_reason_and_propose_a_time_the_diner_accepts(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    other, _, _ = await register(client)
    first, second, full = at(30), at(32), at(34)
    await open_slots(client, owner, restaurant, (first, 6), (second, 6), (full, 1))
    one = (await book(client, diner, restaurant, first, 4))["booking"]["id"]
    two = (await book(client, diner, restaurant, second, 2))["booking"]["id"]  # one live a time
    # A decline needs a reason; a diner cannot answer; a full or unknown time cannot be proposed.
    bad = [
        ({"id": one, "d": "DECLINE", "r": " "}, owner, "INVALID"),
        ({"id": one, "d": "DECLINE", "r": "满了"}, diner, "FORBIDDEN"),
        ({"id": one, "d": "PROPOSE", "p": full}, owner, "SLOT_FULL"),
        ({"id": one, "d": "PROPOSE", "p": at(33)}, owner, "NOT_FOUND"),
        ({"id": one, "d": "PROPOSE"}, owner, "INVALID"),
        ({"id": one, "d": "CONFIRM"}, owner, "ALREADY_ANSWERED"),  # already confirmed
    ]
    for variables, token, code in bad:
        payload = (await gql(client, ANSWER, variables, token))["data"]["answerReservationRequest"]
        assert payload["request"] is None and payload["errors"][0]["code"] == code, (variables, payload)
    declined = (await gql(client, ANSWER, {"id": two, "d": "DECLINE", "r": "包间维修"}, owner))["data"]
    assert declined["answerReservationRequest"]["request"]["booking"]["status"] == "DECLINED"
    assert declined["answerReservationRequest"]["request"]["booking"]["declineReason"] == "包间维修"
    proposed = (await gql(client, ANSWER, {"id": one, "d": "PROPOSE", "p": second}, owner))["data"]
    booking = proposed["answerReservationRequest"]["request"]["booking"]
    assert booking["status"] == "PROPOSED"
    assert datetime.fromisoformat(booking["proposedStartsAt"]) == datetime.fromisoformat(second)
    assert (await kinds(client, diner))[:2] == ["booking_proposed", "booking_declined"]
    # Someone else cannot accept it; the diner can, once: the seats move to the new time.
    stranger = (await gql(client, PROPOSAL, {"id": one, "a": True}, other))["data"]["answerProposedTime"]
    assert stranger["errors"][0]["code"] == "NOT_FOUND"
    accepted = (await gql(client, PROPOSAL, {"id": one, "a": True}, diner))["data"]["answerProposedTime"]
    assert accepted["errors"] == [] and accepted["request"]["booking"]["status"] == "CONFIRMED"
    again = (await gql(client, PROPOSAL, {"id": one, "a": True}, diner))["data"]["answerProposedTime"]
    assert again["errors"][0]["code"] == "ALREADY_ANSWERED"
    slots = (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(29), "b": at(33)}))["data"][
        "bookingSlots"
    ]
    assert [s["seatsBooked"] for s in slots] == [0, 4]


async def test_meal_request_declined_with_reason_or_moved_to_a_proposed_time(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    await gql(client, RESERVE, {"id": meal}, host)
    new_time = at(72)
    proposed = (await gql(client, ANSWER, {"id": meal, "d": "PROPOSE", "p": new_time}, owner))["data"]
    assert proposed["answerReservationRequest"]["request"]["meal"]["reservationStatus"] == "PROPOSED"
    denied = (await gql(client, PROPOSAL, {"id": meal, "a": True}, guest))["data"]["answerProposedTime"]
    assert denied["errors"][0]["code"] == "NOT_FOUND"  # only the host answers for the table
    accepted = (await gql(client, PROPOSAL, {"id": meal, "a": True}, host))["data"]["answerProposedTime"]
    moved = accepted["request"]["meal"]
    assert moved["reservationStatus"] == "CONFIRMED"
    assert datetime.fromisoformat(moved["startsAt"]) == datetime.fromisoformat(new_time)
    notes = (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    assert notes[0]["node"]["kind"] == "meal_time_changed"
    # A second table request, declined with a reason every seated diner hears.
    owner_meal_host, _, meal2, _ = await host_meal(client, restaurant=restaurant)
    await gql(client, RESERVE, {"id": meal2}, owner_meal_host)
    declined = (await gql(client, ANSWER, {"id": meal2, "d": "DECLINE", "r": "那天包场"}, owner))["data"]
    assert declined["answerReservationRequest"]["request"]["meal"]["reservationStatus"] == "DECLINED"
    notes = (await gql(client, NOTES, token=owner_meal_host))["data"]["notifications"]["edges"]
    assert "那天包场" in notes[0]["node"]["message"]


async def test_booking_subscriber_hears_the_staff_answer(app, client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 6))
    booking = (await book(client, diner, restaurant, when, 2))["booking"]["id"]
    query = "subscription($b: ID!) { bookingUpdated(bookingId: $b) { status declineReason } }"
    async with subscribed(app, diner, query, {"b": booking}) as receive:
        await gql(client, ANSWER, {"id": booking, "d": "DECLINE", "r": "厨房检修"}, owner)
        assert (await receive())["bookingUpdated"] == {"status": "DECLINED", "declineReason": "厨房检修"}


async def test_staff_inbox_subscription_across_two_processes(settings, app):
    with running_servers(settings, 2) as (first, second):
        async with httpx.AsyncClient(base_url=first, timeout=20) as one:
            owner, restaurant = await open_restaurant(one, *random_spot())
            diner, _, _ = await register(one)
            when = at(30)
            await open_slots(one, owner, restaurant, (when, 6))
            query = "subscription($r: ID!) { reservationInboxUpdated(restaurantId: $r) { kind partySize booking { status } } }"
            async with subscribed(second, owner, query, {"r": restaurant}) as receive:
                assert (await book(one, diner, restaurant, when, 5))["errors"] == []
                assert (await receive())["reservationInboxUpdated"] == {
                    "kind": "BOOKING",
                    "partySize": 5,
                    "booking": {"status": "CONFIRMED"},
                }
