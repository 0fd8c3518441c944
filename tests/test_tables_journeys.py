"""Tables journeys end to end (issue 16 follow-up), through the endpoint:

- closing a poll on what the meal already is changes nothing (its table stays, nobody is told);
  a real change is worded in the restaurant's local time, and the staff holding the meal's table
  request learn it is withdrawn (a notification and their live inbox);
- booking notifications say who, when (local time) and how many to staff, and the restaurant and
  the time to the diner, and open the booking they are about; a no-show is told to the diner;
- a diner holds one live booking per restaurant and start time, even asking ten times at once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.restaurants import Restaurant
from models.tables import Booking
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.tables_helpers import (
    ANSWER,
    CANCEL,
    NO_SHOW,
    POLICY,
    PROPOSAL,
    SLOT_LIST,
    at,
    book,
    open_slots,
    subscribed,
)
from tests.test_meals import CONFIRM, JOIN, RESERVE, host_meal
from tests.test_tables_polls import CLOSE, CREATE, VOTE

NOTES = """{ notifications(first: 20) { edges { node { kind message
  subject { __typename ... on Booking { id } } } } } }"""
MEAL = "query($id: ID!) { sharedMeal(id: $id) { startsAt reservationStatus restaurant { id } } }"
MEAL_LIVE = "subscription($id: ID!) { sharedMealUpdated(mealId: $id) { startsAt } }"
INBOX_LIVE = """subscription($r: ID!) { reservationInboxUpdated(restaurantId: $r) {
  kind requestId meal { reservationStatus } } }"""
INBOX = "query($r: ID!, $d: Date!) { reservationInbox(restaurantId: $r, day: $d) { requestId } }"


async def notes(client, token: str) -> list[dict]:
    """The viewer's notifications, newest first."""
    return [e["node"] for e in (await gql(client, NOTES, token=token))["data"]["notifications"]["edges"]]


async def zone_of(restaurant: str) -> ZoneInfo:
    row = await Restaurant.get(id=decode(restaurant, "Restaurant", "r"))
    return ZoneInfo(row.timezone or "UTC")


def local(at_: datetime | str, zone: ZoneInfo) -> str:
    """As the app words times: 12月11日 19:00 where the restaurant is."""
    moment = datetime.fromisoformat(at_) if isinstance(at_, str) else at_
    moment = moment.astimezone(zone)
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def evening(zone: ZoneInfo, days: int, hour: int, minute: int = 0) -> str:
    """A local evening time `days` ahead, as an ISO string with its offset."""
    day = (datetime.now(zone) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour, minute), zone).isoformat()


async def a_reserved_table(client, confirm: bool = True):
    """A meal with a guest whose table request the restaurant confirmed (or has yet to answer)."""
    owner, restaurant = await open_restaurant(client, *random_spot(), name="老地方")
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["errors"] == []
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    if confirm:
        answered = (await gql(client, CONFIRM, {"id": meal, "c": True}, owner))["data"]["answerReservation"]
        assert answered["errors"] == []
    return owner, restaurant, host, guest, meal


async def poll_won_by_first(client, host: str, guest: str, meal: str, kind: str, options: list[dict]) -> dict:
    """A poll whose first option the guest votes for, closed by the host: the close's payload."""
    created = (await gql(client, CREATE, {"m": meal, "k": kind, "q": "定一下", "o": options}, host))["data"]
    poll = created["createMealPoll"]["poll"]
    assert poll is not None, created
    voted = await gql(client, VOTE, {"p": poll["id"], "o": poll["options"][0]["id"]}, guest)
    assert voted["data"]["voteInPoll"]["errors"] == []
    closed = (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
    assert closed["errors"] == [] and closed["poll"]["closed"] is True
    return closed


# ------------------------------------------------------------------ 1. polls


async def test_a_poll_won_by_the_meals_own_time_or_place_changes_nothing(app, client):
    owner, restaurant, host, guest, meal = await a_reserved_table(client)
    _, elsewhere = await open_restaurant(client, *random_spot(), name="烤鱼")
    before = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    assert before["reservationStatus"] == "CONFIRMED"
    async with subscribed(app, guest, MEAL_LIVE, {"id": meal}) as receive:
        await poll_won_by_first(
            client, host, guest, meal, "TIME", [{"startsAt": before["startsAt"]}, {"startsAt": at(96)}]
        )
        await poll_won_by_first(
            client,
            host,
            guest,
            meal,
            "RESTAURANT",
            [{"restaurantId": restaurant}, {"restaurantId": elsewhere}],
        )
        # Each poll's creation, vote and close is heard, and nothing else (no change).
        for _ in range(6):
            heard = await receive()
            assert datetime.fromisoformat(heard["sharedMealUpdated"]["startsAt"]) == datetime.fromisoformat(
                before["startsAt"]
            )
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receive(), 1.5)
    after = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    assert after == before  # same time, same place, the table still confirmed
    assert "meal_changed" not in [n["kind"] for n in await notes(client, guest)]
    assert "reservation_withdrawn" not in [n["kind"] for n in await notes(client, owner)]


async def test_a_new_time_is_worded_in_local_time_and_the_table_request_is_withdrawn(app, client):
    owner, restaurant, host, guest, meal = await a_reserved_table(client)
    zone = await zone_of(restaurant)
    before = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    new_time, other_time = evening(zone, 5, 18, 30), evening(zone, 6, 19)
    created = await gql(
        client,
        CREATE,
        {
            "m": meal,
            "k": "TIME",
            "q": "哪天？",
            "o": [{"startsAt": new_time}, {"startsAt": other_time, "label": "周六"}],
        },
        host,
    )
    labels = [o["label"] for o in created["data"]["createMealPoll"]["poll"]["options"]]
    assert labels == [local(new_time, zone), "周六"]  # unlabelled times read as local; typed labels stay
    assert labels[0].endswith(" 18:30")
    poll = created["data"]["createMealPoll"]["poll"]
    await gql(client, VOTE, {"p": poll["id"], "o": poll["options"][0]["id"]}, guest)
    async with subscribed(app, owner, INBOX_LIVE, {"r": restaurant}) as staff_hears:
        closed = (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
        assert closed["errors"] == []
        assert (await staff_hears())["reservationInboxUpdated"] == {
            "kind": "SHARED_MEAL",
            "requestId": meal,
            "meal": {"reservationStatus": "NONE"},
        }
    moved = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    assert datetime.fromisoformat(moved["startsAt"]) == datetime.fromisoformat(new_time)
    assert moved["reservationStatus"] == "NONE"
    told = (await notes(client, guest))[0]
    assert (told["kind"], told["message"]) == (
        "meal_changed",
        f"「周五火锅局」改时间了：{local(new_time, zone)}",
    )
    assert "T" not in told["message"] and "+00:00" not in told["message"]
    staff = (await notes(client, owner))[0]
    assert staff["kind"] == "reservation_withdrawn"
    assert staff["message"] == (
        f"「周五火锅局」（{local(before['startsAt'], zone)}）改到了 {local(new_time, zone)}，原订座请求已撤回"
    )


async def test_a_new_restaurant_withdraws_the_table_request_at_the_old_one(app, client):
    owner, restaurant, host, guest, meal = await a_reserved_table(client, confirm=False)
    _, elsewhere = await open_restaurant(client, *random_spot(), name="烤鱼")
    zone = await zone_of(restaurant)
    before = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    assert before["reservationStatus"] == "REQUESTED"
    day = datetime.fromisoformat(before["startsAt"]).astimezone(zone).date().isoformat()
    listed = (await gql(client, INBOX, {"r": restaurant, "d": day}, owner))["data"]["reservationInbox"]
    assert [line["requestId"] for line in listed] == [meal]
    async with subscribed(app, owner, INBOX_LIVE, {"r": restaurant}) as staff_hears:
        await poll_won_by_first(
            client,
            host,
            guest,
            meal,
            "RESTAURANT",
            [{"restaurantId": elsewhere}, {"restaurantId": restaurant}],
        )
        assert (await staff_hears())["reservationInboxUpdated"] == {
            "kind": "SHARED_MEAL",
            "requestId": meal,
            "meal": {"reservationStatus": "NONE"},
        }
    assert (await gql(client, INBOX, {"r": restaurant, "d": day}, owner))["data"]["reservationInbox"] == []
    staff = (await notes(client, owner))[0]
    assert (staff["kind"], staff["message"]) == (
        "reservation_withdrawn",
        f"「周五火锅局」（{local(before['startsAt'], zone)}）换了餐厅，订座请求已撤回",
    )
    told = (await notes(client, guest))[0]
    assert (told["kind"], told["message"]) == ("meal_changed", "「周五火锅局」换餐厅了：烤鱼")
    moved = (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]
    assert moved["restaurant"] == {"id": elsewhere} and moved["reservationStatus"] == "NONE"


# ------------------------------------------------------------------ 2. booking notifications


async def test_booking_notifications_say_who_when_and_where_and_open_the_booking(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="老地方")
    diner, _, _ = await register(client, name="王小明")
    zone = await zone_of(restaurant)
    seven, eight = evening(zone, 3, 19), evening(zone, 3, 20)
    await open_slots(client, owner, restaurant, (seven, 20), (eight, 20))

    def about(note: dict) -> tuple[str, str, str | None]:
        return note["kind"], note["message"], (note["subject"] or {}).get("id")

    # A new booking: staff read who, when and how many.
    first = (await book(client, diner, restaurant, seven, 4))["booking"]["id"]
    assert about((await notes(client, owner))[0]) == (
        "booking_new",
        f"新订座：王小明 {local(seven, zone)} 4 人",
        first,
    )
    # Staff propose another time: the diner reads where and to when.
    proposed = await gql(client, ANSWER, {"id": first, "d": "PROPOSE", "p": eight}, owner)
    assert proposed["data"]["answerReservationRequest"]["errors"] == []
    assert about((await notes(client, diner))[0]) == (
        "booking_proposed",
        f"老地方 建议改到 {local(eight, zone)}（原 {local(seven, zone)}，4 人）",
        first,
    )
    turned_down = (await gql(client, PROPOSAL, {"id": first, "a": False}, diner))["data"][
        "answerProposedTime"
    ]
    assert turned_down["errors"] == []
    assert about((await notes(client, owner))[0]) == (
        "booking_proposal_answered",
        f"王小明 未接受新时间 {local(eight, zone)}，{local(seven, zone)} 4 人的订座已取消",
        first,
    )
    # Declined with a reason: the diner reads the restaurant, the time and why.
    second = (await book(client, diner, restaurant, seven, 2))["booking"]["id"]
    declined = await gql(client, ANSWER, {"id": second, "d": "DECLINE", "r": "包间维修"}, owner)
    assert declined["data"]["answerReservationRequest"]["errors"] == []
    assert about((await notes(client, diner))[0]) == (
        "booking_declined",
        f"老地方 未能接受你 {local(seven, zone)} 的订座：包间维修",
        second,
    )
    # Cancelled by the diner: staff read whose, when and how many.
    third = (await book(client, diner, restaurant, eight, 3))["booking"]["id"]
    assert (await gql(client, CANCEL, {"b": third}, diner))["data"]["cancelBooking"]["errors"] == []
    assert about((await notes(client, owner))[0]) == (
        "booking_cancelled",
        f"订座已取消：王小明 {local(eight, zone)} 3 人",
        third,
    )
    # Marked a no-show once the time came: the diner is told where and when.
    fourth = (await book(client, diner, restaurant, seven, 2))["booking"]["id"]
    came = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    await Booking.filter(id=decode(fourth, "Booking", "b")).update(starts_at=came)
    marked = (await gql(client, NO_SHOW, {"b": fourth}, owner))["data"]["markBookingNoShow"]
    assert marked["errors"] == []
    assert about((await notes(client, diner))[0]) == (
        "booking_no_show",
        f"你在 老地方 {local(came, zone)} 的订座被标记为未到店",
        fourth,
    )
    # With no-shows past the policy's limit, a booking awaits staff: they read that it does.
    policy = {"cancelCutoffMinutes": 120, "maxPartySize": 10, "noShowLimit": 1}
    assert (await gql(client, POLICY, {"r": restaurant, "i": policy}, owner))["data"]["setBookingPolicy"][
        "errors"
    ] == []
    fifth = await book(client, diner, restaurant, eight, 2)
    assert fifth["booking"]["status"] == "REQUESTED"
    assert about((await notes(client, owner))[0]) == (
        "booking_new",
        f"新订座：王小明 {local(eight, zone)} 2 人，待确认",
        fifth["booking"]["id"],
    )
    confirmed = await gql(client, ANSWER, {"id": fifth["booking"]["id"], "d": "CONFIRM"}, owner)
    assert confirmed["data"]["answerReservationRequest"]["errors"] == []
    assert about((await notes(client, diner))[0]) == (
        "booking_confirmed",
        f"老地方 已确认你的订座：{local(eight, zone)} 2 人",
        fifth["booking"]["id"],
    )


# ------------------------------------------------------------------ 3. one live booking a time


async def test_a_diner_holds_one_live_booking_per_restaurant_and_time(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    other, _, _ = await register(client)
    seven, eight = at(50), at(51)
    await open_slots(client, owner, restaurant, (seven, 20), (eight, 20))
    first = await book(client, diner, restaurant, seven, 4)
    assert first["errors"] == []
    again = await book(client, diner, restaurant, seven, 2)
    assert again["booking"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("startsAt", "DUPLICATE")]
    # Another diner, or another time, is fine; once cancelled, the diner may book that time again.
    assert (await book(client, other, restaurant, seven, 2))["errors"] == []
    later = (await book(client, diner, restaurant, eight, 2))["booking"]["id"]
    assert (await gql(client, CANCEL, {"b": first["booking"]["id"]}, diner))["data"]["cancelBooking"][
        "errors"
    ] == []
    assert (await book(client, diner, restaurant, seven, 4))["errors"] == []
    # Nor does accepting a proposed time make a second booking at a time the diner holds one.
    proposed = await gql(client, ANSWER, {"id": later, "d": "PROPOSE", "p": seven}, owner)
    assert proposed["data"]["answerReservationRequest"]["errors"] == []
    accepted = (await gql(client, PROPOSAL, {"id": later, "a": True}, diner))["data"]["answerProposedTime"]
    assert accepted["errors"] == [{"field": "requestId", "code": "DUPLICATE"}]
    slots = (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(49), "b": at(52)}))["data"][
        "bookingSlots"
    ]
    assert [s["seatsBooked"] for s in slots] == [6, 2]  # the diner's 4 and the other's 2; the 2 held


async def test_ten_parallel_bookings_by_one_diner_make_one(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(60)
    await open_slots(client, owner, restaurant, (when, 40))
    results = await asyncio.gather(*(book(client, diner, restaurant, when, 4) for _ in range(10)))
    made = [r for r in results if r["errors"] == []]
    refused = [e["code"] for r in results for e in r["errors"]]
    assert len(made) == 1 and made[0]["booking"]["status"] == "CONFIRMED"
    assert refused == ["DUPLICATE"] * 9
    slots = (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(59), "b": at(61)}))["data"][
        "bookingSlots"
    ]
    assert [s["seatsBooked"] for s in slots] == [4]
    assert await Booking.filter(restaurant_id=decode(restaurant, "Restaurant", "r")).count() == 1
