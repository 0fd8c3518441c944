"""Shared meals, reservations, events, notifications and live meal updates, through the endpoint."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta, timezone

import httpx

from tests.helpers import gql, open_restaurant, random_spot, register

CREATE = """
mutation($i: SharedMealInput!) { createSharedMeal(input: $i) {
  meal { id title capacity seatsTaken seatsLeft status startsAt reservationStatus myStatus host { id } }
  errors { field code message } } }
"""
JOIN = "mutation($id: ID!) { joinSharedMeal(mealId: $id) { status meal { seatsTaken } errors { code } } }"
LEAVE = "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { meal { seatsTaken waitlistCount } errors { code } } }"
MEAL = """
query($id: ID!) { sharedMeal(id: $id) { seatsTaken seatsLeft waitlistCount status reservationStatus myStatus
  guests { state user { id } } } }
"""
WAITING = "query($id: ID!) { sharedMeal(id: $id) { waiting { state user { id } } } }"
REMOVE = "mutation($m: ID!, $u: ID!) { removeMealGuest(mealId: $m, userId: $u) { meal { seatsTaken } errors { code } } }"
CANCEL = "mutation($id: ID!) { cancelSharedMeal(mealId: $id) { meal { status } errors { code } } }"
ANSWER = "mutation($m: ID!, $u: ID!, $a: Boolean!) { answerJoinRequest(mealId: $m, userId: $u, approve: $a) { status errors { code } } }"
RESERVE = 'mutation($id: ID!) { requestReservation(mealId: $id, note: "靠窗") { meal { reservationStatus } errors { code } } }'
CONFIRM = "mutation($id: ID!, $c: Boolean!) { answerReservation(mealId: $id, confirm: $c) { meal { reservationStatus } errors { code } } }"
NOTES = "{ notifications(first: 20) { edges { node { id kind message read meal { id } } } } unreadNotificationCount }"
MARK = "mutation { markNotificationsRead { marked errors { code } } }"
EVENT = """
mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) {
  event { id title capacity seatsLeft priceCents currency tags restaurant { id } } errors { field code } } }
"""
RSVP = "mutation($id: ID!) { rsvpEvent(eventId: $id) { event { seatsTaken goingByMe } errors { code } } }"
MEALS_NEAR = """
query($lat: Float!, $lng: Float!, $first: Int, $after: String) {
  sharedMealsNearby(lat: $lat, lng: $lng, radiusKm: 5, first: $first, after: $after) {
    edges { node { id distanceKm startsAt } } pageInfo { hasNextPage endCursor } } }
"""
EVENTS_NEAR = """
query($lat: Float!, $lng: Float!) { eventsNearby(lat: $lat, lng: $lng, radiusKm: 5) { edges { node { id distanceKm } } } }
"""
SHANGHAI = timezone(timedelta(hours=8))


def later(hours: float = 48) -> str:
    return (datetime.now(SHANGHAI) + timedelta(hours=hours)).isoformat()


async def host_meal(client, capacity=6, restaurant=None, **extra):
    host, host_id, _ = await register(client, name="组局人")
    if restaurant is None:
        _, restaurant = await open_restaurant(client, *random_spot())
    body = await gql(
        client,
        CREATE,
        {
            "i": {
                "restaurantId": restaurant,
                "title": "周五火锅局",
                "startsAt": later(),
                "capacity": capacity,
                **extra,
            }
        },
        host,
    )
    payload = body["data"]["createSharedMeal"]
    assert payload["errors"] == [], payload["errors"]
    return host, host_id, payload["meal"]["id"], restaurant


async def test_create_meal_validates_time_capacity_and_place(client):
    host, _, _ = await register(client)
    _, restaurant = await open_restaurant(client, *random_spot())
    cases = [
        ({"startsAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}, "startsAt", "IN_THE_PAST"),
        ({"startsAt": "2030-01-01T19:00:00"}, "startsAt", "INVALID"),
        ({"capacity": 1}, "capacity", "OUT_OF_RANGE"),
        ({"capacity": 21}, "capacity", "OUT_OF_RANGE"),
        ({"title": "  "}, "title", "INVALID"),
        ({"restaurantId": "UmVzdGF1cmFudDo5OTk5OTk5"}, "restaurantId", "NOT_FOUND"),
    ]
    for change, field, code in cases:
        meal = {"restaurantId": restaurant, "title": "局", "startsAt": later(), "capacity": 4, **change}
        errors = (await gql(client, CREATE, {"i": meal}, host))["data"]["createSharedMeal"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], change
    ok = await gql(
        client,
        CREATE,
        {"i": {"restaurantId": restaurant, "title": "局", "startsAt": later(), "capacity": 4}},
        host,
    )
    meal = ok["data"]["createSharedMeal"]["meal"]
    assert (meal["seatsTaken"], meal["seatsLeft"], meal["myStatus"], meal["status"]) == (1, 3, "HOST", "OPEN")
    assert meal["startsAt"].endswith("+00:00")


async def test_fifty_parallel_joins_never_double_book(client):
    _, _, meal, _ = await host_meal(client, capacity=6)
    diners = [await register(client) for _ in range(50)]
    results = await asyncio.gather(*(gql(client, JOIN, {"id": meal}, t) for t, _, _ in diners))
    statuses = [r["data"]["joinSharedMeal"]["status"] for r in results]
    assert statuses.count("JOINED") == 5 and statuses.count("WAITLISTED") == 45
    state = (await gql(client, MEAL, {"id": meal}))["data"]["sharedMeal"]
    assert (state["seatsTaken"], state["seatsLeft"], state["waitlistCount"]) == (6, 0, 45)
    assert len(state["guests"]) == 6


async def test_leaving_promotes_the_first_waitlisted_and_notifies(client):
    host, _, meal, _ = await host_meal(client, capacity=2)
    guest, _, _ = await register(client)
    first_wait, first_id, _ = await register(client)
    second_wait, _, _ = await register(client)
    for token in (guest, first_wait, second_wait):
        await gql(client, JOIN, {"id": meal}, token)
    again = await gql(client, JOIN, {"id": meal}, guest)
    assert again["data"]["joinSharedMeal"]["errors"][0]["code"] == "ALREADY_JOINED"
    waiting = (await gql(client, WAITING, {"id": meal}, host))["data"]["sharedMeal"]["waiting"]
    assert [w["user"]["id"] for w in waiting][0] == first_id
    nosy = await gql(client, WAITING, {"id": meal}, guest, expect_errors=True)
    assert nosy["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    left = await gql(client, LEAVE, {"id": meal}, guest)
    assert left["data"]["leaveSharedMeal"]["meal"] == {"seatsTaken": 2, "waitlistCount": 1}
    # The first waitlisted diner is offered the seat (issue 16) and takes it by accepting.
    mine = (await gql(client, MEAL, {"id": meal}, first_wait))["data"]["sharedMeal"]
    assert mine["myStatus"] == "OFFERED"
    notes = (await gql(client, NOTES, token=first_wait))["data"]
    assert notes["unreadNotificationCount"] == 1
    assert notes["notifications"]["edges"][0]["node"]["kind"] == "seat_offered"
    accept = "mutation($id: ID!) { answerSeatOffer(mealId: $id, accept: true) { errors { code } } }"
    assert (await gql(client, accept, {"id": meal}, first_wait))["data"]["answerSeatOffer"]["errors"] == []
    mine = (await gql(client, MEAL, {"id": meal}, first_wait))["data"]["sharedMeal"]
    assert mine["myStatus"] == "JOINED"
    assert (await gql(client, MARK, token=first_wait))["data"]["markNotificationsRead"]["marked"] == 1
    assert (await gql(client, NOTES, token=first_wait))["data"]["unreadNotificationCount"] == 0
    not_in = await gql(client, LEAVE, {"id": meal}, guest)
    assert not_in["data"]["leaveSharedMeal"]["errors"][0]["code"] == "NOT_JOINED"


async def test_host_removes_guests_and_cancels(client):
    host, _, meal, _ = await host_meal(client, capacity=3)
    guest, guest_id, _ = await register(client)
    other, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    await gql(client, JOIN, {"id": meal}, other)
    by_guest = await gql(client, REMOVE, {"m": meal, "u": guest_id}, other)
    assert by_guest["data"]["removeMealGuest"]["errors"][0]["code"] == "NOT_FOUND"
    removed = await gql(client, REMOVE, {"m": meal, "u": guest_id}, host)
    assert removed["data"]["removeMealGuest"]["meal"]["seatsTaken"] == 2
    back = await gql(client, JOIN, {"id": meal}, guest)
    assert back["data"]["joinSharedMeal"]["errors"][0]["code"] == "FORBIDDEN"
    assert (await gql(client, CANCEL, {"id": meal}, host))["data"]["cancelSharedMeal"]["meal"][
        "status"
    ] == "CANCELLED"
    kinds = [
        e["node"]["kind"] for e in (await gql(client, NOTES, token=other))["data"]["notifications"]["edges"]
    ]
    assert kinds == ["meal_cancelled"]
    late = await gql(client, JOIN, {"id": meal}, (await register(client))[0])
    assert late["data"]["joinSharedMeal"]["errors"][0]["code"] == "CANCELLED"


COUNTS = """
query($id: ID!) { sharedMeal(id: $id) { capacity seatsTaken seatsLeft seatsOffered waitlistCount
  guests { state } waiting { state user { id } } } }
"""


async def test_every_count_matches_its_list_while_a_seat_is_offered(client):
    """Capacity 3, full, two waitlisted, a guest leaves: the seat is held for the first in line
    (OFFERED): seatsTaken = guests + seatsOffered, waitlistCount = the WAITLISTED in `waiting`."""
    host, _, meal, _ = await host_meal(client, capacity=3)
    guest, _, _ = await register(client)
    other, _, _ = await register(client)
    first, first_id, _ = await register(client)
    second, second_id, _ = await register(client)
    for token in (guest, other, first, second):
        await gql(client, JOIN, {"id": meal}, token)

    async def counts() -> dict:
        state = (await gql(client, COUNTS, {"id": meal}, host))["data"]["sharedMeal"]
        assert state["seatsTaken"] == len(state["guests"]) + state["seatsOffered"], state
        assert state["seatsLeft"] == state["capacity"] - state["seatsTaken"], state
        assert state["waitlistCount"] == sum(w["state"] == "WAITLISTED" for w in state["waiting"]), state
        assert state["seatsOffered"] == sum(w["state"] == "OFFERED" for w in state["waiting"]), state
        return state

    full = await counts()
    assert (full["seatsTaken"], full["seatsOffered"], full["waitlistCount"]) == (3, 0, 2)
    await gql(client, LEAVE, {"id": meal}, guest)
    offered = await counts()
    assert (offered["seatsTaken"], len(offered["guests"]), offered["seatsOffered"]) == (3, 2, 1)
    assert offered["waitlistCount"] == 1
    assert [(w["state"], w["user"]["id"]) for w in offered["waiting"]] == [
        ("OFFERED", first_id),
        ("WAITLISTED", second_id),
    ]
    # The offered diner walks away instead of answering: their offer goes with the seat, which is
    # offered to the next in line.
    await gql(client, LEAVE, {"id": meal}, first)
    offer = "query($id: ID!) { mySeatOffer(mealId: $id) { expiresAt } }"
    assert (await gql(client, offer, {"id": meal}, first))["data"]["mySeatOffer"] is None
    passed = await counts()
    assert [w["state"] for w in passed["waiting"]] == ["OFFERED"]
    assert (passed["seatsTaken"], passed["seatsOffered"], passed["waitlistCount"]) == (3, 1, 0)
    accept = "mutation($id: ID!) { answerSeatOffer(mealId: $id, accept: true) { errors { code } } }"
    assert (await gql(client, accept, {"id": meal}, second))["data"]["answerSeatOffer"]["errors"] == []
    seated = await counts()
    assert (seated["seatsTaken"], len(seated["guests"]), seated["seatsOffered"]) == (3, 3, 0)


async def test_a_guest_parted_from_the_hosts_meal_by_a_block_is_told_neutrally(client):
    block = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
    unblock = "mutation($u: ID!) { unblockUser(userId: $u) { errors { code } } }"
    host, _, meal, _ = await host_meal(client, capacity=2)
    guest, guest_id, _ = await register(client)
    waiting, waiting_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    await gql(client, JOIN, {"id": meal}, waiting)
    assert (await gql(client, block, {"u": guest_id}, host))["data"]["blockUser"]["errors"] == []
    notes = (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    assert [(n["node"]["kind"], n["node"]["message"]) for n in notes] == [
        ("removed", "你已不在「周五火锅局」的名单中")
    ]
    # The freed seat is offered to the next in line; then the host blocks them too: the offer
    # goes with them (never seated), and they are told the same way.
    assert (await gql(client, MEAL, {"id": meal}, waiting))["data"]["sharedMeal"]["myStatus"] == "OFFERED"
    assert (await gql(client, block, {"u": waiting_id}, host))["data"]["blockUser"]["errors"] == []
    state = (await gql(client, COUNTS, {"id": meal}, host))["data"]["sharedMeal"]
    assert (state["seatsTaken"], state["seatsOffered"], state["waiting"]) == (1, 0, [])
    notes = (await gql(client, NOTES, token=waiting))["data"]["notifications"]["edges"]
    assert [n["node"]["kind"] for n in notes] == ["removed", "seat_offered"]
    # After an unblock the guest sees why they are no longer on the list.
    await gql(client, unblock, {"u": guest_id}, host)
    assert (await gql(client, MEAL, {"id": meal}, guest))["data"]["sharedMeal"]["myStatus"] == "REMOVED"
    # A guest who blocks the host leaves the host's meal; they did it, so nothing tells them.
    _, other_host_id, other_meal, _ = await host_meal(client, capacity=3)
    fan, _, _ = await register(client)
    await gql(client, JOIN, {"id": other_meal}, fan)
    assert (await gql(client, block, {"u": other_host_id}, fan))["data"]["blockUser"]["errors"] == []
    assert (await gql(client, MEAL, {"id": other_meal}, fan))["data"]["sharedMeal"] is None
    assert (await gql(client, NOTES, token=fan))["data"]["notifications"]["edges"] == []


async def test_approval_mode(client):
    host, _, meal, _ = await host_meal(client, capacity=2, approvalRequired=True)
    a, a_id, _ = await register(client)
    b, b_id, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, a))["data"]["joinSharedMeal"]["status"] == "PENDING"
    assert (await gql(client, JOIN, {"id": meal}, b))["data"]["joinSharedMeal"]["status"] == "PENDING"
    assert (await gql(client, ANSWER, {"m": meal, "u": a_id, "a": True}, host))["data"]["answerJoinRequest"][
        "status"
    ] == "JOINED"
    assert (await gql(client, ANSWER, {"m": meal, "u": b_id, "a": False}, host))["data"]["answerJoinRequest"][
        "status"
    ] == "DECLINED"
    twice = await gql(client, ANSWER, {"m": meal, "u": b_id, "a": True}, host)
    assert twice["data"]["answerJoinRequest"]["errors"][0]["code"] == "NOT_FOUND"


async def test_reservation_answered_by_that_restaurants_staff_only(client):
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    other_owner, _ = await open_restaurant(client, lat, lng)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    asked = await gql(client, RESERVE, {"id": meal}, host)
    assert asked["data"]["requestReservation"]["meal"]["reservationStatus"] == "REQUESTED"
    stranger = await gql(client, CONFIRM, {"id": meal, "c": True}, other_owner)
    assert stranger["data"]["answerReservation"]["errors"][0]["code"] == "FORBIDDEN"
    by_guest = await gql(client, RESERVE, {"id": meal}, guest)
    assert by_guest["data"]["requestReservation"]["errors"][0]["code"] == "NOT_FOUND"
    answered = await gql(client, CONFIRM, {"id": meal, "c": True}, owner)
    assert answered["data"]["answerReservation"]["meal"]["reservationStatus"] == "CONFIRMED"
    again = await gql(client, CONFIRM, {"id": meal, "c": False}, owner)
    assert again["data"]["answerReservation"]["errors"][0]["code"] == "ALREADY_ANSWERED"
    kinds = [
        e["node"]["kind"] for e in (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    ]
    assert kinds == ["reservation_confirmed"]


async def test_followers_only_meals(client):
    host, host_id, meal, _ = await host_meal(client, visibility="FOLLOWERS")
    fan, _, _ = await register(client)
    stranger, _, _ = await register(client)
    await gql(client, "mutation($id: ID!) { follow(userId: $id) { errors { code } } }", {"id": host_id}, fan)
    assert (await gql(client, MEAL, {"id": meal}, stranger))["data"]["sharedMeal"] is None
    refused = await gql(client, JOIN, {"id": meal}, stranger)
    assert refused["data"]["joinSharedMeal"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await gql(client, JOIN, {"id": meal}, fan))["data"]["joinSharedMeal"]["status"] == "JOINED"


def east(lat, lng, km):
    return lat, lng + km / (111.2 * math.cos(math.radians(lat)))


async def test_events_rsvp_without_overbooking_and_nearby(client):
    lat, lng = random_spot()
    owner, near_place = await open_restaurant(client, *east(lat, lng, 1))
    _, far_place = await open_restaurant(client, *east(lat, lng, 3), owner_token=owner)
    diner, _, _ = await register(client)
    event_input = {
        "restaurantId": near_place,
        "title": "川菜品鉴会",
        "startsAt": later(24),
        "endsAt": later(27),
        "capacity": 3,
        "priceCents": 9900,
        "tags": ["品鉴", "川菜"],
    }
    denied = await gql(client, EVENT, {"i": event_input}, diner)
    assert denied["data"]["createRestaurantEvent"]["errors"][0]["code"] == "FORBIDDEN"
    backwards = await gql(client, EVENT, {"i": {**event_input, "endsAt": later(23)}}, owner)
    assert backwards["data"]["createRestaurantEvent"]["errors"][0]["code"] == "INVALID_TIME_RANGE"
    created = (await gql(client, EVENT, {"i": event_input}, owner))["data"]["createRestaurantEvent"]["event"]
    assert (created["priceCents"], created["currency"], created["seatsLeft"]) == (9900, "CNY", 3)
    far_event = (await gql(client, EVENT, {"i": {**event_input, "restaurantId": far_place}}, owner))["data"][
        "createRestaurantEvent"
    ]["event"]
    diners = [await register(client) for _ in range(10)]
    results = await asyncio.gather(*(gql(client, RSVP, {"id": created["id"]}, t) for t, _, _ in diners))
    codes = [
        r["data"]["rsvpEvent"]["errors"][0]["code"] if r["data"]["rsvpEvent"]["errors"] else "OK"
        for r in results
    ]
    assert codes.count("OK") == 3 and codes.count("EVENT_FULL") == 7
    nearby = (await gql(client, EVENTS_NEAR, {"lat": lat, "lng": lng}))["data"]["eventsNearby"]["edges"]
    assert [e["node"]["id"] for e in nearby] == [created["id"], far_event["id"]]
    assert [round(e["node"]["distanceKm"]) for e in nearby] == [1, 3]


async def test_meals_nearby_pages_nearest_first(client):
    lat, lng = random_spot()
    owner, near_place = await open_restaurant(client, *east(lat, lng, 0.5))
    _, far_place = await open_restaurant(client, *east(lat, lng, 2), owner_token=owner)
    ids = []
    for place in (far_place, near_place, near_place):
        ids.append((await host_meal(client, restaurant=place))[2])
    seen, after = [], None
    while True:
        conn = (await gql(client, MEALS_NEAR, {"lat": lat, "lng": lng, "first": 2, "after": after}))["data"][
            "sharedMealsNearby"
        ]
        seen += [e["node"]["id"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == 3 and seen[2] == ids[0] and set(seen[:2]) == {ids[1], ids[2]}


async def test_meal_updates_reach_subscribers_who_may_see_the_meal(app, client):
    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    host, _, meal, _ = await host_meal(client, capacity=3)
    watcher, _, _ = await register(client)
    joiner, _, _ = await register(client)
    async with ASGIWebSocketTransport(app=app) as transport:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ws_client:
            async with aconnect_ws("/graphql", ws_client, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {watcher}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                query = "subscription($id: ID!) { sharedMealUpdated(mealId: $id) { seatsTaken status } }"
                await ws.send_json(
                    {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": meal}}}
                )
                await asyncio.sleep(0.3)
                await gql(client, JOIN, {"id": meal}, joiner)
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert message["payload"]["data"]["sharedMealUpdated"] == {"seatsTaken": 2, "status": "OPEN"}
                await gql(client, CANCEL, {"id": meal}, host)
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert message["payload"]["data"]["sharedMealUpdated"]["status"] == "CANCELLED"


async def test_private_meal_subscription_is_refused(app, client):
    from httpx_ws import aconnect_ws
    from httpx_ws.transport import ASGIWebSocketTransport

    _, _, meal, _ = await host_meal(client, visibility="FOLLOWERS")
    stranger, _, _ = await register(client)
    async with ASGIWebSocketTransport(app=app) as transport:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ws_client:
            async with aconnect_ws("/graphql", ws_client, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {stranger}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                query = "subscription($id: ID!) { sharedMealUpdated(mealId: $id) { seatsTaken } }"
                await ws.send_json(
                    {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"id": meal}}}
                )
                message = await asyncio.wait_for(ws.receive_json(), 10)
                assert message["type"] == "error" or message["payload"].get("errors"), message
                assert "FORBIDDEN" in str(message)


async def test_a_join_signed_in_before_a_suspension_does_not_outlive_it(client):
    """A request authenticated just before a moderator's suspension may still be writing after
    it: the join (or a new meal) reads the diner's row under its lock, so the seat is refused,
    or it commits first and the suspension's clean-up finds it; never a suspended guest holding a
    seat. (The suspension here is written straight to the row, as if it landed mid-request: the
    token still resolves from the viewer cache.)"""
    from datetime import UTC, datetime, timedelta

    from models.accounts import User
    from models.meals import MealSeat
    from schema.ids import decode

    _, _, meal, restaurant = await host_meal(client, capacity=4)
    diner, diner_id, _ = await register(client)
    assert (await gql(client, "{ me { id } }", token=diner))["data"]["me"]["id"] == diner_id
    pk = decode(diner_id, "User", "id")
    await User.filter(id=pk).update(suspended_until=datetime.now(UTC) + timedelta(days=3))
    joined = await gql(client, JOIN, {"id": meal}, diner, expect_errors=True)
    assert [e["extensions"]["code"] for e in joined["errors"]] == ["UNAUTHENTICATED"], joined
    assert not await MealSeat.filter(user_id=pk, meal_id=decode(meal, "SharedMeal", "id")).exists()
    hosted = await gql(
        client, CREATE, {"i": {"restaurantId": restaurant, "title": "小号局", "startsAt": later(), "capacity": 3}},
        diner, expect_errors=True,
    )
    assert [e["extensions"]["code"] for e in hosted["errors"]] == ["UNAUTHENTICATED"], hosted


HOURS = """mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  errors { field code } } }"""
MOVE = "mutation($m: ID!, $i: SharedMealUpdateInput!) { updateSharedMeal(mealId: $m, input: $i) { errors { field code message } } }"


async def test_a_table_is_set_only_when_the_restaurant_is_open(client):
    """A meal for a time the restaurant's own hours say it is closed sent its guests to a closed
    door (and reminded them to be on time): now RESTAURANT_CLOSED, on creating and on moving it."""
    from zoneinfo import ZoneInfo

    owner, restaurant = await open_restaurant(client, *random_spot())
    lunch_only = [{"weekday": d, "opens": "11:00", "closes": "14:00"} for d in range(7)]
    hours = {"timezone": "Asia/Shanghai", "weekly": lunch_only}
    assert (await gql(client, HOURS, {"r": restaurant, "i": hours}, owner))["data"]["setOpeningHours"][
        "errors"
    ] == []
    day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)).date()

    def at(hour: int) -> str:
        return datetime(day.year, day.month, day.day, hour, 30, tzinfo=ZoneInfo("Asia/Shanghai")).isoformat()

    host, _, _ = await register(client)
    meal = {"restaurantId": restaurant, "title": "晚饭局", "startsAt": at(19), "capacity": 4}
    closed = (await gql(client, CREATE, {"i": meal}, host))["data"]["createSharedMeal"]
    assert [(e["field"], e["code"]) for e in closed["errors"]] == [("startsAt", "RESTAURANT_CLOSED")]
    assert closed["meal"] is None
    opened = (await gql(client, CREATE, {"i": {**meal, "startsAt": at(12)}}, host))["data"]["createSharedMeal"]
    assert opened["errors"] == []
    moved = await gql(client, MOVE, {"m": opened["meal"]["id"], "i": {"startsAt": at(22)}}, host)
    assert [e["code"] for e in moved["data"]["updateSharedMeal"]["errors"]] == ["RESTAURANT_CLOSED"]
    renamed = await gql(client, MOVE, {"m": opened["meal"]["id"], "i": {"title": "午饭局"}}, host)
    assert renamed["data"]["updateSharedMeal"]["errors"] == []  # its time unchanged: not re-checked
    chinese = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"i": meal}},
        headers={"Authorization": f"Bearer {host}", "Accept-Language": "zh-CN"},
    )
    assert "未营业" in chinese.json()["data"]["createSharedMeal"]["errors"][0]["message"]
