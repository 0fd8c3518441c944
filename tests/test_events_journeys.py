"""Restaurant events as a Meetup user and organiser use them, through the endpoint: the diner's
own list (myEvents), the going heart on every event (goingByMe, one statement a page), who is
going for the restaurant's staff (attendees), and the organiser's edits (updateRestaurantEvent)
racing RSVPs without overbooking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from core.pagination import encode_cursor
from models.meals import EventRsvp, RestaurantEvent
from models.restaurants import Visibility
from schema.ids import decode
from tests.helpers import gql, open_restaurant, random_spot, register
from tests.test_closure_journeys import CANCEL_EVENT, CANCEL_RSVP, an_event, local, notes
from tests.test_meals import RSVP, later
from tests.test_restaurants import east
from tests.wire_sql import with_and_without

MY_EVENTS = """query($first: Int, $after: String) { myEvents(first: $first, after: $after) {
  edges { cursor node { id title goingByMe } } pageInfo { hasNextPage endCursor } totalCount } }"""
NEARBY = """query($lat: Float!, $lng: Float!, $first: Int) {
  eventsNearby(lat: $lat, lng: $lng, radiusKm: 20, first: $first) { edges { node { id title EXTRA } } } }"""
GOING = "query($id: ID!) { node(id: $id) { ... on RestaurantEvent { goingByMe } } }"
ATTENDEES = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on RestaurantEvent {
  title seatsTaken attendees(first: $first, after: $after) {
    edges { cursor node { since user { id displayName } } } pageInfo { hasNextPage endCursor } totalCount } } } }"""
UPDATE = """mutation($id: ID!, $i: RestaurantEventUpdateInput!) { updateRestaurantEvent(eventId: $id, input: $i) {
  event { id title description startsAt endsAt capacity seatsTaken seatsLeft priceCents tags cancelled }
  errors { field code } } }"""
BLOCK = "mutation($u: ID!) { blockUser(userId: $u) { blocked errors { code } } }"
ME = "{ me { id } }"


def pk(event: str) -> int:
    return decode(event, "RestaurantEvent", "id")


async def rsvp(client, token: str, event: str) -> None:
    assert (await gql(client, RSVP, {"id": event}, token))["data"]["rsvpEvent"]["errors"] == []


async def update(client, token: str, event: str, **changes) -> dict:
    return (await gql(client, UPDATE, {"id": event, "i": changes}, token))["data"]["updateRestaurantEvent"]


async def move(event: str, starts: datetime, hours: float = 2) -> None:
    """Put an event at another time (the past, under way): what the clock would do."""
    await RestaurantEvent.filter(id=pk(event)).update(
        starts_at=starts, ends_at=starts + timedelta(hours=hours)
    )


async def my_events(client, token: str, first: int, after: str | None = None) -> dict:
    body = await gql(client, MY_EVENTS, {"first": first, "after": after}, token)
    return body["data"]["myEvents"]


# ------------------------------------------------------------------ myEvents


async def test_my_events_lists_what_i_go_to_soonest_first_then_past_ones(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    diner, _, _ = await register(client, name="吃货")
    other, _, _ = await register(client, name="路人")
    late = await an_event(client, owner, restaurant, later(28))
    soon = await an_event(client, owner, restaurant, later(25))
    under_way = await an_event(client, owner, restaurant, later(26))
    old = await an_event(client, owner, restaurant, later(26))
    recent = await an_event(client, owner, restaurant, later(26))
    changed_mind = await an_event(client, owner, restaurant, later(27))
    hidden = await an_event(client, owner, restaurant, later(27))
    called_off = await an_event(client, owner, restaurant, later(27))
    not_mine = await an_event(client, owner, restaurant, later(27))
    for event in (late, soon, under_way, old, recent, changed_mind, hidden, called_off):
        await rsvp(client, diner, event)
    await rsvp(client, other, not_mine)
    assert (await gql(client, CANCEL_RSVP, {"id": changed_mind}, diner))["data"]["cancelEventRsvp"][
        "errors"
    ] == []
    assert (await gql(client, CANCEL_EVENT, {"id": called_off}, owner))["data"]["cancelRestaurantEvent"][
        "errors"
    ] == []
    now = datetime.now(UTC)
    await move(under_way, now - timedelta(minutes=30))  # still on: among the upcoming, first
    await move(recent, now - timedelta(days=1))
    await move(old, now - timedelta(days=10))
    await RestaurantEvent.filter(id=pk(hidden)).update(visibility=Visibility.HIDDEN)  # moderated

    expected = [under_way, soon, late, recent, old]
    whole = await my_events(client, diner, 20)
    assert [e["node"]["id"] for e in whole["edges"]] == expected
    assert {e["node"]["goingByMe"] for e in whole["edges"]} == {True}
    assert whole["totalCount"] == 5 and whole["pageInfo"]["hasNextPage"] is False

    # Paged two at a time, across the line between upcoming and past, nothing lost or repeated.
    seen, after, pages = [], None, []
    while True:
        page = await my_events(client, diner, 2, after)
        seen += [e["node"]["id"] for e in page["edges"]]
        pages.append(page["pageInfo"]["hasNextPage"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == expected and pages == [True, True, False]
    # A page ending exactly on the last upcoming event goes on with the past ones.
    first_three = await my_events(client, diner, 3)
    rest = await my_events(client, diner, 3, first_three["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == [recent, old]

    assert [e["node"]["id"] for e in (await my_events(client, other, 20))["edges"]] == [not_mine]
    fresh, _, _ = await register(client, name="新人")
    assert await my_events(client, fresh, 20) == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "totalCount": 0,
    }
    anonymous = await gql(client, MY_EVENTS, {"first": 5}, expect_errors=True)
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    for bad in ("bm90IGpzb24", encode_cursor([5, now, 1]), encode_cursor([0, "yesterday", 1])):
        refused = await gql(client, MY_EVENTS, {"first": 5, "after": bad}, diner, expect_errors=True)
        assert refused["errors"], refused


# ------------------------------------------------------------------ goingByMe


async def test_going_by_me_is_null_signed_out_and_fresh_within_a_request(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(26))
    diner, _, _ = await register(client)
    assert (await gql(client, GOING, {"id": event}, diner))["data"]["node"]["goingByMe"] is False
    assert (await gql(client, GOING, {"id": event}))["data"]["node"]["goingByMe"] is None
    both = """mutation($id: ID!) {
      a: rsvpEvent(eventId: $id) { event { goingByMe } errors { code } }
      b: cancelEventRsvp(eventId: $id) { event { goingByMe } errors { code } }
      c: rsvpEvent(eventId: $id) { event { goingByMe seatsTaken } errors { code } } }"""
    data = (await gql(client, both, {"id": event}, diner))["data"]
    assert [data[k]["event"]["goingByMe"] for k in "abc"] == [True, False, True]
    assert data["c"]["event"]["seatsTaken"] == 1
    assert (await gql(client, GOING, {"id": event}, diner))["data"]["node"]["goingByMe"] is True


async def _ten_events(client) -> tuple[float, float, str, list[str]]:
    """Ten events at ten restaurants of one owner, nearest first."""
    lat, lng = random_spot()
    owner, restaurant = await open_restaurant(client, *east(lat, lng, 0.3), name="一号")
    ids = [await an_event(client, owner, restaurant, later(26))]
    for i in range(1, 10):
        _, place = await open_restaurant(
            client, *east(lat, lng, 0.3 + 0.2 * i), name=f"{i}号", owner_token=owner
        )
        ids.append(await an_event(client, owner, place, later(26)))
    return lat, lng, owner, ids


async def test_a_page_of_events_asking_going_by_me_costs_one_statement_whatever_its_size(client):
    lat, lng, _, ids = await _ten_events(client)
    diner, _, _ = await register(client, name="吃货")
    going = {ids[0], ids[4], ids[9]}
    for event in going:
        await rsvp(client, diner, event)
    for size in (2, 10):
        variables = {"lat": lat, "lng": lng, "first": size}
        body, plain, asked = await with_and_without(client, NEARBY, "EXTRA", "goingByMe", variables, diner)
        edges = body["data"]["eventsNearby"]["edges"]
        assert [e["node"]["id"] for e in edges] == ids[:size]
        assert [e["node"]["goingByMe"] for e in edges] == [i in going for i in ids[:size]]
        assert len(asked) == len(plain) + 1, (size, plain, asked)
        assert len([s for s in asked if "event_rsvps" in s]) == 1, asked

        body, plain, asked = await with_and_without(client, NEARBY, "EXTRA", "goingByMe", variables, None)
        assert {e["node"]["goingByMe"] for e in body["data"]["eventsNearby"]["edges"]} == {None}
        assert len(asked) == len(plain) and not [s for s in asked if "event_rsvps" in s], asked


# ------------------------------------------------------------------ attendees


async def test_staff_see_who_is_going_in_arrival_order_others_are_refused(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    rival, _ = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(26), capacity=10)
    names = ["一", "二", "三", "四", "五"]
    people = [await register(client, name=n) for n in names]
    for token, _, _ in people:
        await rsvp(client, token, event)
    left = people[1]
    assert (await gql(client, CANCEL_RSVP, {"id": event}, left[0]))["data"]["cancelEventRsvp"]["errors"] == []
    # One who blocked the restaurant's owner is still going, but shown to them as nobody.
    owner_id = (await gql(client, ME, token=owner))["data"]["me"]["id"]
    blocker = people[4]
    assert (await gql(client, BLOCK, {"u": owner_id}, blocker[0]))["data"]["blockUser"]["errors"] == []

    going = [people[0], people[2], people[3], people[4]]
    seen, after, cursors = [], None, []
    while True:
        node = (await gql(client, ATTENDEES, {"id": event, "first": 2, "after": after}, owner))["data"][
            "node"
        ]
        page = node["attendees"]
        assert page["totalCount"] == node["seatsTaken"] == 4
        seen += [e["node"] for e in page["edges"]]
        cursors.append(page["pageInfo"]["hasNextPage"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert cursors == [True, False]
    assert [n["user"]["id"] if n["user"] else None for n in seen] == [p[1] for p in going[:3]] + [None]
    assert [n["user"]["displayName"] for n in seen[:3]] == ["一", "三", "四"]
    sinces = [datetime.fromisoformat(n["since"]) for n in seen]
    assert sinces == sorted(sinces) and all(s <= datetime.now(UTC) for s in sinces)

    # Others: FORBIDDEN (signed out: UNAUTHENTICATED) on that field alone, the event still shown.
    for token, code in ((people[0][0], "FORBIDDEN"), (rival, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        body = await gql(client, ATTENDEES, {"id": event, "first": 5}, token, expect_errors=True)
        assert body["data"]["node"]["title"] == "川菜品鉴会", body
        assert body["data"]["node"]["attendees"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
        assert body["errors"][0]["path"] == ["node", "attendees"]


async def test_a_page_of_events_with_their_attendees_costs_the_same_whatever_its_size(client):
    lat, lng, owner, ids = await _ten_events(client)
    diners = [(await register(client))[0] for _ in range(3)]
    for i, event in enumerate(ids):
        for token in diners[: 1 + i % 3]:
            await rsvp(client, token, event)
    extra = "attendees(first: 2) { edges { node { since user { id } } } pageInfo { hasNextPage } }"
    costs = {}
    for size in (2, 10):
        variables = {"lat": lat, "lng": lng, "first": size}
        body, plain, asked = await with_and_without(client, NEARBY, "EXTRA", extra, variables, owner)
        edges = body["data"]["eventsNearby"]["edges"]
        assert [len(e["node"]["attendees"]["edges"]) for e in edges] == [
            min(2, 1 + i % 3) for i in range(size)
        ]
        assert [e["node"]["attendees"]["pageInfo"]["hasNextPage"] for e in edges] == [
            i % 3 == 2 for i in range(size)
        ]
        assert len([s for s in asked if "event_rsvps" in s]) == 1, asked
        costs[size] = len(asked) - len(plain)
    assert costs[2] == costs[10], costs


# ------------------------------------------------------------------ updateRestaurantEvent


async def test_staff_edit_an_event_with_the_checks_of_create(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    rival, _ = await open_restaurant(client, *random_spot())
    event = await an_event(client, owner, restaurant, later(26), capacity=5)
    diners = [(await register(client))[0] for _ in range(3)]
    for token in diners:
        await rsvp(client, token, event)

    done = await update(
        client,
        owner,
        event,
        title=" 川菜品鉴会·第二期 ",
        description="八道菜",
        tags=["川菜", " 川菜", "辣", "BBQ", "bbq", "ＢＢＱ"],  # once each, whatever the case or width
        priceCents=16800,
        capacity=3,
    )
    assert done["errors"] == []
    assert {
        k: done["event"][k] for k in ("title", "description", "tags", "priceCents", "capacity", "seatsLeft")
    } == {
        "title": "川菜品鉴会·第二期",
        "description": "八道菜",
        "tags": ["川菜", "辣", "BBQ"],
        "priceCents": 16800,
        "capacity": 3,
        "seatsLeft": 0,
    }
    full = (await gql(client, RSVP, {"id": event}, (await register(client))[0]))["data"]["rsvpEvent"]
    assert full["errors"] == [{"code": "EVENT_FULL"}]

    refusals = [
        ({"capacity": 2}, "capacity", "OUT_OF_RANGE"),  # three places are taken
        ({"capacity": 0}, "capacity", "OUT_OF_RANGE"),
        ({"title": "  "}, "title", "INVALID"),
        ({"title": "川菜\u202e会"}, "title", "INVALID"),
        ({"description": "好\u200b吃"}, "description", "INVALID"),
        ({"tags": ["辣\u200b"]}, "tags", "INVALID"),
        ({"priceCents": -1}, "priceCents", "OUT_OF_RANGE"),
        ({"startsAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}, "startsAt", "IN_THE_PAST"),
        ({"endsAt": later(25)}, "endsAt", "INVALID_TIME_RANGE"),  # before the start (in 26 hours)
        ({"startsAt": later(40)}, "endsAt", "INVALID_TIME_RANGE"),  # after the end (in 30 hours)
    ]
    for changes, field, code in refusals:
        refused = await update(client, owner, event, **changes)
        assert refused == {"event": None, "errors": [{"field": field, "code": code}]}, (changes, refused)
    for token, code in ((diners[0], "FORBIDDEN"), (rival, "FORBIDDEN")):
        refused = await update(client, token, event, title="抢")
        assert refused == {"event": None, "errors": [{"field": "eventId", "code": code}]}
    missing = await update(client, owner, "UmVzdGF1cmFudEV2ZW50Ojk5OTk5OTk=", title="x")
    assert missing["errors"] == [{"field": "eventId", "code": "NOT_FOUND"}]
    anonymous = await gql(client, UPDATE, {"id": event, "i": {"title": "x"}}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    row = await RestaurantEvent.get(id=pk(event))
    assert (row.title, row.capacity, row.seats_taken) == ("川菜品鉴会·第二期", 3, 3)  # nothing refused landed

    started = await an_event(client, owner, restaurant, later(26))
    await move(started, datetime.now(UTC) - timedelta(minutes=5))
    assert (await update(client, owner, started, capacity=9))["errors"] == [
        {"field": "eventId", "code": "TOO_LATE"}
    ]
    off = await an_event(client, owner, restaurant, later(26))
    assert (await gql(client, CANCEL_EVENT, {"id": off}, owner))["data"]["cancelRestaurantEvent"][
        "errors"
    ] == []
    assert (await update(client, owner, off, capacity=9))["errors"] == [
        {"field": "eventId", "code": "CANCELLED"}
    ]


async def test_a_new_time_tells_each_attendee_once_in_the_restaurants_time(client):
    owner, restaurant = await open_restaurant(client, *random_spot(), name="蜀大侠火锅")
    event = await an_event(client, owner, restaurant, later(26))
    going, _, _ = await register(client, name="要去")
    also, _, _ = await register(client, name="也去")
    changed_mind, _, _ = await register(client, name="改主意")
    stranger, _, _ = await register(client, name="路人")
    for token in (going, also, changed_mind):
        await rsvp(client, token, event)
    assert (await gql(client, CANCEL_RSVP, {"id": event}, changed_mind))["data"]["cancelEventRsvp"][
        "errors"
    ] == []

    # Not the time: nobody told. The same start again: not a change either.
    assert (await update(client, owner, event, title="川菜品鉴会", capacity=8))["errors"] == []
    row = await RestaurantEvent.get(id=pk(event))
    assert (await update(client, owner, event, startsAt=row.starts_at.isoformat()))["errors"] == []
    assert await notes(client, going, "event_changed") == []

    starts, ends = later(50), later(53)
    moved = await update(client, owner, event, startsAt=starts, endsAt=ends)
    assert moved["errors"] == []
    assert datetime.fromisoformat(moved["event"]["startsAt"]) == datetime.fromisoformat(starts)
    told = f"「川菜品鉴会」改到 {local(starts)}"
    assert await notes(client, going, "event_changed") == [told]
    assert await notes(client, also, "event_changed") == [told]
    assert await notes(client, changed_mind, "event_changed") == []
    assert await notes(client, stranger, "event_changed") == []
    assert await notes(client, owner, "event_changed") == []
    # A second move is a second notice, with its own time (still one each).
    again = later(74)
    assert (await update(client, owner, event, endsAt=later(77), startsAt=again))["errors"] == []
    assert await notes(client, going, "event_changed") == [f"「川菜品鉴会」改到 {local(again)}", told]


async def test_a_capacity_cut_racing_rsvps_never_overbooks(client):
    """Eight diners RSVP while staff cut the capacity from 10 to 6, four places already taken.
    The cut takes the event's row as every RSVP does: it lands when at most six are taken (and
    the RSVPs after it fill up to six), or is refused OUT_OF_RANGE and the RSVPs fill up to ten."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    for _ in range(3):
        event = await an_event(client, owner, restaurant, later(26), capacity=10)
        for _ in range(4):
            await rsvp(client, (await register(client))[0], event)
        newcomers = [(await register(client))[0] for _ in range(8)]
        half = len(newcomers) // 2
        results = await asyncio.gather(
            *(gql(client, RSVP, {"id": event}, t) for t in newcomers[:half]),
            gql(client, UPDATE, {"id": event, "i": {"capacity": 6}}, owner),
            *(gql(client, RSVP, {"id": event}, t) for t in newcomers[half:]),
        )
        cut = results[half]["data"]["updateRestaurantEvent"]
        answers = [r["data"]["rsvpEvent"] for i, r in enumerate(results) if i != half]
        codes = {e["code"] for a in answers for e in a["errors"]}
        assert codes <= {"EVENT_FULL"}, codes
        row = await RestaurantEvent.get(id=pk(event))
        going = await EventRsvp.filter(event_id=row.id, going=True).count()
        assert row.seats_taken == going == 4 + sum(1 for a in answers if not a["errors"])
        if cut["errors"]:
            assert cut["errors"] == [{"field": "capacity", "code": "OUT_OF_RANGE"}]
            assert (row.capacity, row.seats_taken) == (10, 10)
        else:
            assert (row.capacity, row.seats_taken) == (6, 6)
