"""More of tables, meals and the social graph under careless or hostile use: a block never shows
itself to the one it hides from, a no-show can't be marked before its time (TOO_EARLY), a
cancelled meal's table request leaves the restaurant's inbox with it, and live booking and inbox
subscriptions stop for someone no longer allowed to see them.

Through the endpoint; time passing and a suspension nobody announced are simulated in the database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.accounts import User
from models.tables import Booking
from schema.ids import decode
from tests.helpers import accept_staff, gql, open_restaurant, random_spot, register
from tests.tables_helpers import ANSWER, CANCEL, NO_SHOW, at, book, open_slots, subscribed
from tests.test_meals import CANCEL as CANCEL_MEAL
from tests.test_meals import CONFIRM, RESERVE, host_meal

FOLLOW = "mutation($id: ID!) { follow(userId: $id) { following user { id } errors { field code message } } }"
SEND = """mutation($id: ID!) { sendMatchRequest(userId: $id, message: "一起吃饭？") {
  request { id } errors { field code message } } }"""
BLOCK = "mutation($id: ID!) { blockUser(userId: $id) { blocked errors { code } } }"
UNKNOWN_USER = base64.b64encode(b"User:987654321").decode()

MEAL_INBOX = """query($r: ID!, $d: Date!) { reservationInbox(restaurantId: $r, day: $d) {
  kind requestId meal { status reservationStatus } } }"""
MEAL_STATE = "query($id: ID!) { sharedMeal(id: $id) { status startsAt reservationStatus } }"
ADD_STAFF = """mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) {
  errors { code } } }"""
REMOVE_STAFF = """mutation($r: ID!, $u: ID!) { removeRestaurantStaff(restaurantId: $r, userId: $u) {
  errors { code } } }"""
INBOX_LIVE = "subscription($r: ID!) { reservationInboxUpdated(restaurantId: $r) { kind requestId } }"
MEAL_INBOX_LIVE = """subscription($r: ID!) { reservationInboxUpdated(restaurantId: $r) {
  kind requestId meal { status reservationStatus } } }"""
BOOKING_LIVE = "subscription($b: ID!) { bookingUpdated(bookingId: $b) { status } }"


def watching(app: Any, token: str, query: str, variables: dict[str, Any]):
    """A subscriber that yields its next message whatever its type, for a subscription that may end."""
    return subscribed(app, token, query, variables, raw=True)


# ------------------------------------------------------------------ 1. blocks stay invisible


async def test_the_blocked_are_answered_as_for_an_unknown_account(client):
    """Following, or asking to match with, someone who blocked you answers exactly what an
    unknown account answers (code, field and message): the block does not show itself. The
    blocker, who knows, is told BLOCKED."""
    blocker, blocker_id, _ = await register(client)
    blocked, blocked_id, _ = await register(client)
    assert (await gql(client, BLOCK, {"id": blocked_id}, blocker))["data"]["blockUser"]["errors"] == []
    for query, name in ((FOLLOW, "follow"), (SEND, "sendMatchRequest")):
        unknown = (await gql(client, query, {"id": UNKNOWN_USER}, blocked))["data"][name]
        assert unknown["errors"][0]["code"] == "NOT_FOUND", unknown
        hidden = (await gql(client, query, {"id": blocker_id}, blocked))["data"][name]
        assert hidden == unknown, name
        own = (await gql(client, query, {"id": blocked_id}, blocker))["data"][name]
        assert [(e["field"], e["code"]) for e in own["errors"]] == [("userId", "BLOCKED")], name
    # Both ways blocked: each knows of their own block.
    assert (await gql(client, BLOCK, {"id": blocker_id}, blocked))["data"]["blockUser"]["errors"] == []
    both = (await gql(client, SEND, {"id": blocker_id}, blocked))["data"]["sendMatchRequest"]
    assert both["errors"][0]["code"] == "BLOCKED"


# ------------------------------------------------------------------ 2. no-shows, not before the time


async def test_a_no_show_marked_before_the_booking_time_is_too_early(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 4))
    booking = (await book(client, diner, restaurant, when, 2))["booking"]["id"]
    early = (await gql(client, NO_SHOW, {"b": booking}, owner))["data"]["markBookingNoShow"]
    assert early == {"booking": None, "errors": [{"field": "bookingId", "code": "TOO_EARLY"}]}
    await Booking.filter(id=decode(booking, "Booking", "b")).update(
        starts_at=datetime.now(UTC) - timedelta(minutes=20)
    )
    marked = (await gql(client, NO_SHOW, {"b": booking}, owner))["data"]["markBookingNoShow"]
    assert marked == {"booking": {"status": "NO_SHOW"}, "errors": []}


# ------------------------------------------------------------------ 3. a cancelled meal's table request


async def _meal_day(client, meal: str) -> str:
    starts_at = (await gql(client, MEAL_STATE, {"id": meal}))["data"]["sharedMeal"]["startsAt"]
    return datetime.fromisoformat(starts_at).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


async def _inbox_meals(client, owner: str, restaurant: str, day: str) -> dict[str, dict]:
    lines = (await gql(client, MEAL_INBOX, {"r": restaurant, "d": day}, owner))["data"]["reservationInbox"]
    return {line["requestId"]: line["meal"] for line in lines if line["kind"] == "SHARED_MEAL"}


async def test_cancelling_a_meal_withdraws_its_table_request_from_the_inbox(app, client):
    """Asked for, or already held: cancelling the meal withdraws the request in the cancel's
    transaction. Staff watching the inbox see it go, the day's inbox no longer lists it, and no
    answer reaches it (CANCELLED)."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, asked, _ = await host_meal(client, restaurant=restaurant)
    other_host, _, held, _ = await host_meal(client, restaurant=restaurant)
    for meal, token in ((asked, host), (held, other_host)):
        assert (await gql(client, RESERVE, {"id": meal}, token))["data"]["requestReservation"]["errors"] == []
    confirmed = (await gql(client, CONFIRM, {"id": held, "c": True}, owner))["data"]["answerReservation"]
    assert confirmed["meal"]["reservationStatus"] == "CONFIRMED"
    day = await _meal_day(client, asked)
    assert set(await _inbox_meals(client, owner, restaurant, day)) == {asked, held}

    async with watching(app, owner, MEAL_INBOX_LIVE, {"r": restaurant}) as receive:
        cancelled = (await gql(client, CANCEL_MEAL, {"id": asked}, host))["data"]["cancelSharedMeal"]
        assert cancelled == {"meal": {"status": "CANCELLED"}, "errors": []}
        message = await receive()
        assert message["type"] == "next", message
        assert message["payload"]["data"]["reservationInboxUpdated"] == {
            "kind": "SHARED_MEAL",
            "requestId": asked,
            "meal": {"status": "CANCELLED", "reservationStatus": "NONE"},
        }
    assert (await gql(client, CANCEL_MEAL, {"id": held}, other_host))["data"]["cancelSharedMeal"][
        "errors"
    ] == []
    assert await _inbox_meals(client, owner, restaurant, day) == {}
    for meal in (asked, held):
        state = (await gql(client, MEAL_STATE, {"id": meal}, owner))["data"]["sharedMeal"]
        assert (state["status"], state["reservationStatus"]) == ("CANCELLED", "NONE")
        for variables in (
            {"id": meal, "d": "CONFIRM"},
            {"id": meal, "d": "DECLINE", "r": "那天包场"},
            {"id": meal, "d": "PROPOSE", "p": at(72)},
        ):
            answered = (await gql(client, ANSWER, variables, owner))["data"]["answerReservationRequest"]
            assert answered["request"] is None and answered["errors"][0]["code"] == "CANCELLED", variables


# ------------------------------------------------------------------ 4. live updates, checked per event


async def _staff_member(client, owner: str, restaurant: str) -> tuple[str, str]:
    token, user_id, email = await register(client, name="服务员")
    added = await gql(client, ADD_STAFF, {"r": restaurant, "e": email}, owner)
    assert added["data"]["addRestaurantStaff"]["errors"] == []
    await accept_staff(client, restaurant, token)
    return token, user_id


async def test_inbox_subscription_ends_for_staff_taken_off_the_restaurant(app, client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    staff, staff_id = await _staff_member(client, owner, restaurant)
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 10))
    async with watching(app, staff, INBOX_LIVE, {"r": restaurant}) as receive:
        first = (await book(client, diner, restaurant, when, 2))["booking"]["id"]
        heard = await receive()
        assert heard["type"] == "next" and heard["payload"]["data"]["reservationInboxUpdated"] == {
            "kind": "BOOKING",
            "requestId": first,
        }
        removed = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": staff_id}, owner)
        assert removed["data"]["removeRestaurantStaff"]["errors"] == []
        other, _, _ = await register(client)  # a diner holds one live booking a time
        assert (await book(client, other, restaurant, when, 3))["errors"] == []
        assert (await receive()) == {"id": "1", "type": "complete"}  # not the second booking


async def test_inbox_subscription_ends_for_a_suspended_account(app, client):
    """Checked at the event itself: even a suspension whose sockets were not (yet) closed."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    staff, staff_id = await _staff_member(client, owner, restaurant)
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 10))
    async with watching(app, staff, INBOX_LIVE, {"r": restaurant}) as receive:
        await User.filter(id=decode(staff_id, "User", "u")).update(
            suspended_until=datetime.now(UTC) + timedelta(days=7)
        )
        assert (await book(client, diner, restaurant, when, 2))["errors"] == []
        assert (await receive()) == {"id": "1", "type": "complete"}


async def test_booking_subscription_ends_for_staff_taken_off_the_restaurant(app, client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    staff, staff_id = await _staff_member(client, owner, restaurant)
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 10))
    booking = (await book(client, diner, restaurant, when, 2))["booking"]["id"]
    async with (
        watching(app, staff, BOOKING_LIVE, {"b": booking}) as staff_hears,
        watching(app, diner, BOOKING_LIVE, {"b": booking}) as diner_hears,
    ):
        removed = await gql(client, REMOVE_STAFF, {"r": restaurant, "u": staff_id}, owner)
        assert removed["data"]["removeRestaurantStaff"]["errors"] == []
        assert (await gql(client, CANCEL, {"b": booking}, diner))["data"]["cancelBooking"]["errors"] == []
        assert (await staff_hears()) == {"id": "1", "type": "complete"}
        heard = await diner_hears()  # the diner, whose booking it is, still hears it
        assert heard["type"] == "next" and heard["payload"]["data"]["bookingUpdated"] == {
            "status": "CANCELLED"
        }
