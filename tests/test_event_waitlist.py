"""候补 for restaurant events (Meetup's waitlist): a full event keeps a line, the first place freed
goes to the earliest in line, who is told once; cancelling, staff adding places, the event being
called off and an account deleted all move the line as they should; counts stay exact under
parallel requests."""

from __future__ import annotations

import asyncio

from models.meals import EventRsvp, RestaurantEvent
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_closure_journeys import CANCEL_EVENT, CANCEL_RSVP, an_event, notes
from tests.test_meals import RSVP, later

WAIT = "mutation($id: ID!) { joinEventWaitlist(eventId: $id) { event { seatsTaken seatsLeft goingByMe waitlistedByMe } errors { code } } }"
MINE = "query($id: ID!) { node(id: $id) { ... on RestaurantEvent { seatsTaken goingByMe waitlistedByMe } } }"
LINE = "query($id: ID!) { node(id: $id) { ... on RestaurantEvent { waitlistCount waitlistPositionByMe } } }"


async def line(client, token: str | None, event: str) -> tuple[int, int | None]:
    node = (await gql(client, LINE, {"id": event}, token))["data"]["node"]
    return node["waitlistCount"], node["waitlistPositionByMe"]
CAPACITY = "mutation($v: ID!, $c: Int!) { updateRestaurantEvent(eventId: $v, input: {capacity: $c}) { errors { code } } }"


async def state(client, token: str, event: str) -> tuple[bool, bool]:
    node = (await gql(client, MINE, {"id": event}, token))["data"]["node"]
    return node["goingByMe"], node["waitlistedByMe"]


async def test_the_line_moves_up_in_order_and_each_is_told_once(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    event = await an_event(client, owner, restaurant, later(30), capacity=1)
    first, second, third = [(await register(client, name=n))[0] for n in ("先到", "候补一", "候补二")]
    assert (await gql(client, RSVP, {"id": event}, first))["data"]["rsvpEvent"]["errors"] == []
    full = await gql(client, RSVP, {"id": event}, second)
    assert full["data"]["rsvpEvent"]["errors"] == [{"code": "EVENT_FULL"}]  # rsvpEvent as before
    for token in (second, third):
        waited = (await gql(client, WAIT, {"id": event}, token))["data"]["joinEventWaitlist"]
        assert waited["errors"] == [] and waited["event"]["waitlistedByMe"] is True
        assert waited["event"]["goingByMe"] is False and waited["event"]["seatsLeft"] == 0
    again = (await gql(client, WAIT, {"id": event}, second))["data"]["joinEventWaitlist"]
    assert again["errors"] == [{"code": "ALREADY_JOINED"}]
    assert await state(client, first, event) == (True, False)
    assert [await line(client, t, event) for t in (second, third, first, None)] == [
        (2, 1), (2, 2), (2, None), (2, None)  # 候补第 N 位; the count is public
    ]

    assert (await gql(client, CANCEL_RSVP, {"id": event}, first))["data"]["cancelEventRsvp"]["errors"] == []
    assert await line(client, third, event) == (1, 1)
    assert await state(client, second, event) == (True, False)  # the earliest got the place
    assert await state(client, third, event) == (False, True)
    [told] = await notes(client, second, "event_place_freed")
    assert told.startswith("候补成功：「川菜品鉴会」") and "有位置了" in told
    assert await notes(client, third, "event_place_freed") == []

    # Leaving the line is cancelEventRsvp too; the one going cancelling then frees to nobody.
    assert (await gql(client, CANCEL_RSVP, {"id": event}, third))["data"]["cancelEventRsvp"]["errors"] == []
    assert await state(client, third, event) == (False, False)
    assert (await gql(client, CANCEL_RSVP, {"id": event}, second))["data"]["cancelEventRsvp"]["errors"] == []
    row = await RestaurantEvent.get(id=decode(event, "RestaurantEvent", "id"))
    assert row.seats_taken == 0
    # With a place free, joining the line takes it at once.
    took = (await gql(client, WAIT, {"id": event}, third))["data"]["joinEventWaitlist"]
    assert took["errors"] == [] and took["event"]["goingByMe"] is True and took["event"]["seatsTaken"] == 1


async def test_more_places_and_a_called_off_event_move_the_whole_line(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    event = await an_event(client, owner, restaurant, later(30), capacity=1)
    going, _, _ = await register(client)
    waiting = [(await register(client))[0] for _ in range(3)]
    assert (await gql(client, RSVP, {"id": event}, going))["data"]["rsvpEvent"]["errors"] == []
    for token in waiting:
        assert (await gql(client, WAIT, {"id": event}, token))["data"]["joinEventWaitlist"]["errors"] == []
    more = await gql(client, CAPACITY, {"v": event, "c": 3}, owner)
    assert more["data"]["updateRestaurantEvent"]["errors"] == []
    assert [await state(client, t, event) for t in waiting] == [(True, False), (True, False), (False, True)]
    off = await gql(client, CANCEL_EVENT, {"id": event}, owner)
    assert off["data"]["cancelRestaurantEvent"]["errors"] == []
    # The one still in line hears of it with those going; nobody is left in line.
    assert len(await notes(client, waiting[2], "event_cancelled")) == 1
    assert not await EventRsvp.filter(
        event_id=decode(event, "RestaurantEvent", "id"), waitlisted_at__isnull=False
    ).exists()


async def test_parallel_cancels_and_joins_keep_the_counts_exact(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(30), capacity=3)
    going = [(await register(client))[0] for _ in range(3)]
    for token in going:
        assert (await gql(client, RSVP, {"id": event}, token))["data"]["rsvpEvent"]["errors"] == []
    waiting = [(await register(client))[0] for _ in range(5)]
    await asyncio.gather(
        *(gql(client, WAIT, {"id": event}, t) for t in waiting),
        *(gql(client, CANCEL_RSVP, {"id": event}, t) for t in going[:2]),
    )
    pk = decode(event, "RestaurantEvent", "id")
    row = await RestaurantEvent.get(id=pk)
    holding = await EventRsvp.filter(event_id=pk, going=True).count()
    in_line = await EventRsvp.filter(event_id=pk, waitlisted_at__isnull=False).count()
    assert row.seats_taken == holding == 3  # the two places freed went to the line
    assert in_line == 3 and holding + in_line == 6


async def test_a_deleted_account_gives_its_place_to_the_line_and_leaves_the_line(client):
    from tests.test_closure_journeys import DELETE, PASSWORD

    owner, restaurant = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(30), capacity=1)
    leaving, first_in_line, also_leaving = [(await register(client))[0] for _ in range(3)]
    assert (await gql(client, RSVP, {"id": event}, leaving))["data"]["rsvpEvent"]["errors"] == []
    for token in (also_leaving, first_in_line):  # also_leaving is first in line, then deletes
        assert (await gql(client, WAIT, {"id": event}, token))["data"]["joinEventWaitlist"]["errors"] == []
    for token in (also_leaving, leaving):
        gone = await gql(client, DELETE, {"p": PASSWORD}, token)
        assert gone["data"]["deleteMyAccount"]["errors"] == []
    assert await state(client, first_in_line, event) == (True, False)
    pk = decode(event, "RestaurantEvent", "id")
    assert (await RestaurantEvent.get(id=pk)).seats_taken == 1 == await EventRsvp.filter(event_id=pk, going=True).count()


async def test_a_page_of_events_reads_its_lines_in_a_constant_number_of_statements(client):
    from tests.conftest import count_sql

    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, lat, lng)
    viewer, _, _ = await register(client)
    page = """query($lat: Float!, $lng: Float!) { eventsNearby(lat: $lat, lng: $lng, radiusKm: 1, first: 50) {
      edges { node { id goingByMe waitlistedByMe waitlistPositionByMe waitlistCount } } } }"""

    async def statements() -> tuple[int, int]:
        await gql(client, page, {"lat": lat, "lng": lng}, viewer)  # warm: the viewer
        with count_sql() as sql:
            body = await gql(client, page, {"lat": lat, "lng": lng}, viewer)
        return len(sql.statements), len(body["data"]["eventsNearby"]["edges"])

    async def a_full_event_with_the_viewer_in_line() -> None:
        event = await an_event(client, owner, restaurant, later(30), capacity=1)
        going, _, _ = await register(client)
        assert (await gql(client, RSVP, {"id": event}, going))["data"]["rsvpEvent"]["errors"] == []
        assert (await gql(client, WAIT, {"id": event}, viewer))["data"]["joinEventWaitlist"]["errors"] == []

    for _ in range(2):
        await a_full_event_with_the_viewer_in_line()
    few = await statements()
    for _ in range(4):
        await a_full_event_with_the_viewer_in_line()
    many = await statements()
    # (other tests' events may stand nearby in the shared database: at least ours are listed)
    assert few[1] >= 2 and many[1] >= few[1] + 4 and few[0] == many[0], (few, many)
