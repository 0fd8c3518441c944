"""When plans end from the other side: a restaurant closing, staff calling an event off, a diner
deleting their account. Each frees what it held (slot seats, event places) and tells the people
who were counting on it once, in Chinese, with the restaurant's local time.

Through the endpoint; the database is read only where the API no longer shows a closed
restaurant's rows (its slots and events are gone from every public list)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.meals import EventRsvp, RestaurantEvent
from models.tables import BookingSlot
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.tables_helpers import at, book, open_slots
from tests.test_meals import EVENT, EVENTS_NEAR, RSVP, later

ARCHIVE = "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }"
CANCEL_EVENT = """mutation($id: ID!) { cancelRestaurantEvent(eventId: $id) {
  event { id cancelled seatsTaken seatsLeft } errors { field code } } }"""
CANCEL_RSVP = "mutation($id: ID!) { cancelEventRsvp(eventId: $id) { event { seatsTaken } errors { code } } }"
MY_BOOKINGS = "{ myBookings { id status } }"
HISTORY = "{ myBookings { status restaurant { name archived } } }"
NOTES = "{ notifications(first: 50) { edges { node { kind message } } } }"
DELETE = "mutation($p: String!) { deleteMyAccount(password: $p) { errors { code } } }"
LOCATE = "mutation($lat: Float!, $lng: Float!) { updateLocation(lat: $lat, lng: $lng) { errors { code } } }"
FEED = "{ feed(first: 50) { edges { node { kind event { id } } } } }"
PASSWORD = "correct horse battery"


def local(iso: str) -> str:
    """How the notices write a time: the restaurant's (Asia/Shanghai by default) 12月11日 19:00."""
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Shanghai"))
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


async def notes(client, token: str, kind: str) -> list[str]:
    edges = (await gql(client, NOTES, token=token))["data"]["notifications"]["edges"]
    return [e["node"]["message"] for e in edges if e["node"]["kind"] == kind]


async def statuses(client, token: str) -> dict[str, str]:
    return {b["id"]: b["status"] for b in (await gql(client, MY_BOOKINGS, token=token))["data"]["myBookings"]}


async def an_event(
    client, owner: str, restaurant: str, starts: str, capacity: int = 5, ends: str | None = None
) -> str:
    created = await gql(
        client,
        EVENT,
        {
            "i": {
                "restaurantId": restaurant,
                "title": "川菜品鉴会",
                "startsAt": starts,
                "endsAt": ends or later(30),
                "capacity": capacity,
            }
        },
        owner,
    )
    payload = created["data"]["createRestaurantEvent"]
    assert payload["errors"] == [], payload["errors"]
    return payload["event"]["id"]


async def test_a_closing_restaurant_calls_off_bookings_and_events_and_tells_each_diner_once(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    dinner, lunch = at(30), at(54)
    await open_slots(client, owner, restaurant, (dinner, 20), (lunch, 20))
    other_owner = await open_restaurant(client, *random_spot(), name="另一家")
    await open_slots(client, other_owner[0], other_owner[1], (dinner, 10))
    both, _, _ = await register(client, name="订座又报名")
    booker, _, _ = await register(client, name="只订座")
    goer, _, _ = await register(client, name="只报名")
    bystander, _, _ = await register(client, name="路人")
    kept = await book(client, both, other_owner[1], dinner, 2)  # another restaurant: untouched
    first = await book(client, both, restaurant, dinner, 4)
    second = await book(client, booker, restaurant, dinner, 2)
    third = await book(client, booker, restaurant, lunch, 3)
    assert [b["errors"] for b in (kept, first, second, third)] == [[], [], [], []]
    starts = later(26)
    event = await an_event(client, owner, restaurant, starts)
    for token in (both, goer):
        assert (await gql(client, RSVP, {"id": event}, token))["data"]["rsvpEvent"]["errors"] == []

    closed = await gql(client, ARCHIVE, {"r": restaurant}, owner)
    assert closed["data"]["archiveRestaurant"]["errors"] == []

    assert await statuses(client, both) == {
        kept["booking"]["id"]: "CONFIRMED",
        first["booking"]["id"]: "CANCELLED",
    }
    assert set((await statuses(client, booker)).values()) == {"CANCELLED"}
    # The diner's bookings still name the shop (as an order history does), flagged closed; it
    # is gone from every public place.
    history = (await gql(client, HISTORY, token=booker))["data"]["myBookings"]
    assert {(b["status"], b["restaurant"]["name"], b["restaurant"]["archived"]) for b in history} == {
        ("CANCELLED", "蜀大侠火锅", True)
    }
    public = await gql(client, "query($r: ID!) { node(id: $r) { id } }", {"r": restaurant}, booker)
    assert public["data"]["node"] is None
    # Every seat back on the closed restaurant's slots; the other restaurant's still held.
    closed_id, other_id = decode(restaurant, "Restaurant", "r"), decode(other_owner[1], "Restaurant", "r")
    assert set(await BookingSlot.filter(restaurant_id=closed_id).values_list("seats_booked", flat=True)) == {
        0
    }
    assert await BookingSlot.filter(restaurant_id=other_id).values_list("seats_booked", flat=True) == [2]
    row = await RestaurantEvent.get(id=decode(event, "RestaurantEvent", "id"))
    assert (row.cancelled, row.seats_taken) == (True, 0)
    assert not await EventRsvp.filter(event_id=row.id, going=True).exists()

    when_dinner, when_lunch, when_event = local(dinner), local(lunch), local(starts)
    assert await notes(client, both, "restaurant_closed") == [
        f"「蜀大侠火锅」已停业，你 {when_event} 的活动「川菜品鉴会」、{when_dinner} 的订座已取消"
    ]
    assert await notes(client, booker, "restaurant_closed") == [
        f"「蜀大侠火锅」已停业，你 {when_dinner} 的订座、{when_lunch} 的订座已取消"
    ]
    assert await notes(client, goer, "restaurant_closed") == [
        f"「蜀大侠火锅」已停业，你 {when_event} 的活动「川菜品鉴会」已取消"
    ]
    assert await notes(client, bystander, "restaurant_closed") == []


async def test_staff_call_an_event_off_once_and_it_leaves_every_list(client):
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng, name="蜀大侠火锅")
    rival, _ = await open_restaurant(client, *random_spot())
    starts = later(26)
    event = await an_event(client, owner, restaurant, starts, capacity=3)
    going, _, _ = await register(client, name="要去")
    changed_mind, _, _ = await register(client, name="改主意")
    fan, _, _ = await register(client, name="附近的人")
    for token in (going, changed_mind, fan):
        assert (await gql(client, RSVP, {"id": event}, token))["data"]["rsvpEvent"]["errors"] == []
    assert (await gql(client, CANCEL_RSVP, {"id": event}, changed_mind))["data"]["cancelEventRsvp"][
        "errors"
    ] == []
    assert (await gql(client, LOCATE, {"lat": lat, "lng": lng}, fan))["data"]["updateLocation"][
        "errors"
    ] == []

    async def listed() -> tuple[list[str], list[str]]:
        near = (await gql(client, EVENTS_NEAR, {"lat": lat, "lng": lng}))["data"]["eventsNearby"]["edges"]
        feed = (await gql(client, FEED, token=fan))["data"]["feed"]["edges"]
        return [e["node"]["id"] for e in near], [e["node"]["event"]["id"] for e in feed if e["node"]["event"]]

    assert await listed() == ([event], [event])
    for token, code in ((going, "FORBIDDEN"), (rival, "FORBIDDEN")):
        refused = (await gql(client, CANCEL_EVENT, {"id": event}, token))["data"]["cancelRestaurantEvent"]
        assert refused == {"event": None, "errors": [{"field": "eventId", "code": code}]}
    missing = (await gql(client, CANCEL_EVENT, {"id": "UmVzdGF1cmFudEV2ZW50Ojk5OTk5OTk="}, owner))["data"]
    assert missing["cancelRestaurantEvent"]["errors"] == [{"field": "eventId", "code": "NOT_FOUND"}]

    done = (await gql(client, CANCEL_EVENT, {"id": event}, owner))["data"]["cancelRestaurantEvent"]
    assert done == {
        "event": {"id": event, "cancelled": True, "seatsTaken": 0, "seatsLeft": 3},
        "errors": [],
    }
    told = f"「蜀大侠火锅」{local(starts)} 的活动「川菜品鉴会」已取消"
    assert await notes(client, going, "event_cancelled") == [told]
    assert await notes(client, fan, "event_cancelled") == [told]
    assert await notes(client, changed_mind, "event_cancelled") == []  # was no longer going
    # The notice opens the cancelled event (it had neither subject nor event).
    opened = "{ notifications(first: 5) { edges { node { kind subject { id } event { id cancelled } } } } }"
    edges = (await gql(client, opened, token=going))["data"]["notifications"]["edges"]
    cancelled = [e["node"] for e in edges if e["node"]["kind"] == "event_cancelled"]
    assert cancelled == [{"kind": "event_cancelled", "subject": {"id": event}, "event": {"id": event, "cancelled": True}}]
    again = (await gql(client, CANCEL_EVENT, {"id": event}, owner))["data"]["cancelRestaurantEvent"]
    assert again["errors"] == [{"field": "eventId", "code": "CANCELLED"}]
    assert await notes(client, going, "event_cancelled") == [told]  # told once
    late = (await gql(client, RSVP, {"id": event}, changed_mind))["data"]["rsvpEvent"]
    assert late["errors"] == [{"code": "CANCELLED"}]
    assert await listed() == ([], [])


async def test_calling_an_event_off_while_diners_come_and_go_frees_every_place(client):
    """The cancel races new RSVPs and diners giving their place back (each holding their own
    RSVP row): nothing deadlocks, every RSVP either made it before (freed and told) or is refused
    CANCELLED, and no place stays taken."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(26), capacity=50)
    seated = [(await register(client))[0] for _ in range(8)]
    for token in seated:
        assert (await gql(client, RSVP, {"id": event}, token))["data"]["rsvpEvent"]["errors"] == []
    newcomers = [(await register(client))[0] for _ in range(8)]
    leavers, stayers = seated[:4], seated[4:]
    results = await asyncio.gather(
        *(gql(client, RSVP, {"id": event}, t) for t in newcomers[:4]),
        *(gql(client, CANCEL_RSVP, {"id": event}, t) for t in leavers),
        gql(client, CANCEL_EVENT, {"id": event}, owner),
        *(gql(client, RSVP, {"id": event}, t) for t in newcomers[4:]),
    )
    codes = {e["code"] for r in results for payload in r["data"].values() for e in payload["errors"]}
    assert codes <= {"CANCELLED"}, codes  # never UNAVAILABLE (a deadlock), never EVENT_FULL
    assert results[8]["data"]["cancelRestaurantEvent"]["errors"] == []
    row = await RestaurantEvent.get(id=decode(event, "RestaurantEvent", "id"))
    assert (row.cancelled, row.seats_taken) == (True, 0)
    assert not await EventRsvp.filter(event_id=row.id, going=True).exists()
    for token in stayers:
        assert len(await notes(client, token, "event_cancelled")) == 1
    for token, result in zip(leavers, results[4:8], strict=True):
        left = result["data"]["cancelEventRsvp"]["errors"] == []  # before the cancel: not told
        assert len(await notes(client, token, "event_cancelled")) == (0 if left else 1)


async def test_an_event_under_way_is_not_called_off(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(26))
    pk = decode(event, "RestaurantEvent", "id")
    await RestaurantEvent.filter(id=pk).update(starts_at=datetime.now(UTC) - timedelta(minutes=5))
    refused = (await gql(client, CANCEL_EVENT, {"id": event}, owner))["data"]["cancelRestaurantEvent"]
    assert refused["errors"] == [{"field": "eventId", "code": "TOO_LATE"}]


async def test_a_deleted_account_gives_its_tables_back_and_the_staff_are_told(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dinner = at(30)
    await open_slots(client, owner, restaurant, (dinner, 3))
    leaving, _, _ = await register(client, name="要走的人", password=PASSWORD)
    assert (await book(client, leaving, restaurant, dinner, 3))["errors"] == []
    waiting, _, _ = await register(client, name="等位的人")
    assert [e["code"] for e in (await book(client, waiting, restaurant, dinner, 2))["errors"]] == [
        "SLOT_FULL"
    ]

    gone = await gql(client, DELETE, {"p": PASSWORD}, leaving)
    assert gone["data"]["deleteMyAccount"]["errors"] == []

    # The table is free again: the whole slot can be booked by someone else.
    assert (await book(client, waiting, restaurant, dinner, 3))["errors"] == []
    assert await notes(client, owner, "booking_cancelled") == [f"订座已取消：{local(dinner)} 3 人"]


async def test_a_closing_restaurant_calls_off_its_upcoming_shared_meals(client):
    """A closed restaurant's meals leave everyone's sight (the host's too), so they are called off:
    the guests are told why, the host gets restaurant_closed, seats are no longer held."""
    from models.meals import MealStatus, SharedMeal
    from tests.test_meals import JOIN, host_meal

    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client, name="饭搭子")
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["status"] == "JOINED"
    starts = (await SharedMeal.get(id=decode(meal, "SharedMeal", "id"))).starts_at

    assert (await gql(client, ARCHIVE, {"r": restaurant}, owner))["data"]["archiveRestaurant"]["errors"] == []
    assert (await SharedMeal.get(id=decode(meal, "SharedMeal", "id"))).status == MealStatus.CANCELLED
    told_guest = await notes(client, guest, "meal_cancelled")
    assert len(told_guest) == 1, told_guest
    assert told_guest[0].startswith("「周五火锅局」已取消：「") and told_guest[0].endswith("」已停业"), (
        told_guest
    )
    told_host = await notes(client, host, "restaurant_closed")
    assert (
        len(told_host) == 1 and local(starts.isoformat()) in told_host[0] and "周五火锅局" in told_host[0]
    ), told_host
    assert await notes(client, owner, "reservation_withdrawn") == []  # the closing staff need no notice


async def test_a_restaurant_moderation_removes_calls_everything_off_and_a_hidden_one_keeps_its_plans(
    client, services
):
    """Taken down (REMOVE_CONTENT) the restaurant is gone for its diners as a closed one: paid
    vouchers refunded, bookings and events called off, each diner told it was 已下线. Hidden (under
    review, reversible) nothing is called off."""
    from tests.helpers import account_with_role
    from tests.test_correctness_money import pay, refunds_of
    from tests.test_deals import a_deal, claim
    from tests.test_moderation import MODERATE, REPORT

    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot(), name="假冒老火锅")
    hidden_owner, hidden = await open_restaurant(client, *random_spot(), name="待查小馆")
    dinner = at(30)
    await open_slots(client, owner, restaurant, (dinner, 20))
    await open_slots(client, hidden_owner, hidden, (dinner, 20))
    diner, _, _ = await register(client, name="被坑的食客")
    taken_down = await book(client, diner, restaurant, dinner, 2)
    kept = await book(client, diner, hidden, dinner, 2)
    starts = later(26)
    event = await an_event(client, owner, restaurant, starts)
    assert (await gql(client, RSVP, {"id": event}, diner))["data"]["rsvpEvent"]["errors"] == []
    _, _, deal = await a_deal(client, owner, restaurant, priceCents=6800, quantity=5, perUserLimit=2)
    held = await claim(client, diner, deal)
    intent = held["claim"]["payment"]["intentId"]
    assert await pay(client, services, intent) == 200

    for target, action in ((hidden, "HIDE_CONTENT"), (restaurant, "REMOVE_CONTENT")):
        reporter, _, _ = await register(client)
        report = (await gql(client, REPORT, {"t": target, "r": "SCAM"}, reporter))["data"]["reportContent"]
        done = await gql(client, MODERATE, {"r": report["report"]["id"], "a": action}, moderator)
        assert done["data"]["moderate"]["errors"] == [], done

    assert await statuses(client, diner) == {
        taken_down["booking"]["id"]: "CANCELLED",
        kept["booking"]["id"]: "CONFIRMED",  # hidden: still the diner's table
    }
    row = await RestaurantEvent.get(id=decode(event, "RestaurantEvent", "id"))
    assert (row.cancelled, row.seats_taken) == (True, 0)
    assert refunds_of(services, intent) == [(intent, 6800)]
    assert await notes(client, diner, "restaurant_closed") == [
        f"「假冒老火锅」已下线，你 {local(starts)} 的活动「川菜品鉴会」、{local(dinner)} 的订座已取消"
    ]
    (refunded,) = await notes(client, diner, "voucher_refunded")
    assert refunded.startswith("「假冒老火锅」已下线：1 张未使用的团购券已发起原路退款 ¥68.00"), refunded


WAITLIST = "mutation($id: ID!) { joinEventWaitlist(eventId: $id) { event { seatsTaken waitlistCount } errors { code } } }"
EVENT_STATE = "query($id: ID!) { node(id: $id) { ... on RestaurantEvent { seatsTaken waitlistCount goingByMe } } }"


async def test_a_suspension_frees_event_places_lines_and_tables_in_its_time(client, services):
    """A suspended diner can't come (nor cancel: their token is refused): what they held in the
    suspension goes back as their own cancellation would give it. They kept an event's last
    place (the line waiting forever) and a booked slot; only meal seats were freed."""
    from tests.helpers import account_with_role
    from tests.test_moderation import MODERATE, REPORT

    owner, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    soon, after = at(30), at(24 * 10)  # in the 3-day suspension / after it
    await open_slots(client, owner, restaurant, (soon, 4), (after, 4))
    suspended, suspended_id, _ = await register(client, name="被封禁")
    waiting, _, _ = await register(client, name="候补者")
    other, _, _ = await register(client, name="另一位")
    event = await an_event(client, owner, restaurant, soon, capacity=1)
    late_event = await an_event(client, owner, restaurant, after, capacity=1, ends=at(24 * 10 + 2))
    full_event = await an_event(client, owner, restaurant, soon, capacity=1)
    assert (await gql(client, RSVP, {"id": event}, suspended))["data"]["rsvpEvent"]["errors"] == []
    assert (await gql(client, WAITLIST, {"id": event}, waiting))["data"]["joinEventWaitlist"]["errors"] == []
    assert (await gql(client, RSVP, {"id": late_event}, suspended))["data"]["rsvpEvent"]["errors"] == []
    assert (await gql(client, RSVP, {"id": full_event}, other))["data"]["rsvpEvent"]["errors"] == []
    assert (await gql(client, WAITLIST, {"id": full_event}, suspended))["data"]["joinEventWaitlist"]["errors"] == []
    booked = await book(client, suspended, restaurant, soon, 4)
    kept = await book(client, suspended, restaurant, after, 2)
    assert booked["errors"] == [] and kept["errors"] == []

    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": suspended_id, "r": "HARASSMENT"}, reporter))["data"]["reportContent"]
    done = await gql(client, MODERATE, {"r": report["report"]["id"], "a": "SUSPEND_USER", "d": 3}, moderator)
    assert done["data"]["moderate"]["errors"] == []

    state = (await gql(client, EVENT_STATE, {"id": event}, waiting))["data"]["node"]
    assert state == {"seatsTaken": 1, "waitlistCount": 0, "goingByMe": True}  # the line moved up
    assert any("川菜品鉴会" in m for m in await notes(client, waiting, "event_place_freed"))
    assert (await gql(client, EVENT_STATE, {"id": full_event}, other))["data"]["node"]["waitlistCount"] == 0
    assert (await gql(client, EVENT_STATE, {"id": late_event}, other))["data"]["node"]["seatsTaken"] == 1
    rows = await BookingSlot.filter(restaurant_id=decode(restaurant, "Restaurant", "id"))
    assert {s.starts_at.isoformat(): s.seats_booked for s in rows} == {soon: 0, after: 2}  # the table in the suspension freed; the one after kept
    taken = await book(client, other, restaurant, soon, 4)  # was SLOT_FULL
    assert taken["errors"] == []
    assert any("4 人" in m for m in await notes(client, owner, "booking_cancelled"))


async def test_places_at_an_event_under_way_are_neither_taken_nor_given_back(client):
    """Changing one's mind once the event has started: refused (TOO_LATE), as staff can't edit it
    then and leaving a meal under way is a no-show. The place went to the first in line, told
    mid-event."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    going, _, _ = await register(client)
    waiting, _, _ = await register(client)
    newcomer, _, _ = await register(client)
    event = await an_event(client, owner, restaurant, at(1), capacity=2)
    assert (await gql(client, RSVP, {"id": event}, going))["data"]["rsvpEvent"]["errors"] == []
    await RestaurantEvent.filter(id=decode(event, "RestaurantEvent", "id")).update(
        starts_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    left = (await gql(client, CANCEL_RSVP, {"id": event}, going))["data"]["cancelEventRsvp"]
    assert left["errors"] == [{"code": "TOO_LATE"}]
    joined = (await gql(client, RSVP, {"id": event}, newcomer))["data"]["rsvpEvent"]
    assert joined["errors"] == [{"code": "TOO_LATE"}]
    lined = (await gql(client, WAITLIST, {"id": event}, waiting))["data"]["joinEventWaitlist"]
    assert lined["errors"] == [{"code": "TOO_LATE"}]


GUESTS = "query($id: ID!) { sharedMeal(id: $id) { seatsTaken guests { state userId user { id } reliability { attended } } } }"
REMOVE_GUEST = "mutation($m: ID!, $u: ID!) { removeMealGuest(mealId: $m, userId: $u) { meal { seatsTaken } errors { code } } }"


async def test_the_host_can_still_free_a_seat_whose_diner_is_hidden(client, services):
    """A diner suspended for 3 days keeps a seat at a meal 10 days away; the host saw an
    anonymous seat (`user: null`, no id) they could neither name nor remove."""
    from tests.helpers import account_with_role
    from tests.test_meals import CREATE, JOIN
    from tests.test_moderation import MODERATE, REPORT

    _, restaurant = await open_restaurant(client, *random_spot())
    host, _, _ = await register(client, name="组局人")
    guest, guest_id, _ = await register(client, name="被封禁")
    other, _, _ = await register(client, name="另一位客人")
    meal_input = {"restaurantId": restaurant, "title": "下周火锅局", "startsAt": at(24 * 10), "capacity": 4}
    meal = (await gql(client, CREATE, {"i": meal_input}, host))["data"]["createSharedMeal"]["meal"]["id"]
    for token in (guest, other):
        assert (await gql(client, JOIN, {"id": meal}, token))["data"]["joinSharedMeal"]["errors"] == []
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": guest_id, "r": "HARASSMENT"}, reporter))["data"]["reportContent"]
    done = await gql(client, MODERATE, {"r": report["report"]["id"], "a": "SUSPEND_USER", "d": 3}, moderator)
    assert done["data"]["moderate"]["errors"] == []

    seen = (await gql(client, GUESTS, {"id": meal}, host))["data"]["sharedMeal"]
    hidden = [g for g in seen["guests"] if g["user"] is None]
    assert [g["userId"] for g in hidden] == [guest_id] and seen["seatsTaken"] == 3
    by_guest = (await gql(client, GUESTS, {"id": meal}, other))["data"]["sharedMeal"]["guests"]
    assert {g["userId"] for g in by_guest} == {None}  # the host's to know
    removed = (await gql(client, REMOVE_GUEST, {"m": meal, "u": guest_id}, host))["data"]["removeMealGuest"]
    assert removed == {"meal": {"seatsTaken": 2}, "errors": []}
