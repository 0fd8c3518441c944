"""Round 12 of shared meals, tables and events under real and hostile use, through the endpoint:
votes in a poll of a meal called off or begun, answers to table requests naming the argument
the client sent, what staff are told of a meal's table request, a proposal accepted too late.

Time passing is simulated in the database (the meal's start moved), as the other tables tests do."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

from models.meals import SharedMeal
from models.tables import Booking
from schema.ids import decode
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.tables_helpers import ANSWER, PROPOSAL, at, book, open_slots
from tests.test_meals import CANCEL, JOIN, RESERVE, host_meal
from tests.test_tables_journeys import local, notes, zone_of
from tests.test_tables_polls import CREATE, VOTE, a_table

ANSWER_JOIN = """mutation($m: ID!, $u: ID!, $a: Boolean!) {
  answerJoinRequest(mealId: $m, userId: $u, approve: $a) { status errors { code } } }"""
JOIN_WHY = "mutation($id: ID!) { joinSharedMeal(mealId: $id) { status errors { field code message } } }"
MEAL_TIME = "query($id: ID!) { sharedMeal(id: $id) { startsAt reservationStatus } }"


# ------------------------------------------------------------------ 1. polls of meals that won't be decided


async def test_no_vote_in_a_poll_of_a_meal_called_off_or_begun(client):
    """A guest voting in a poll of a cancelled meal was told the vote was in (the poll stays open
    forever: the host can no longer close it); now CANCELLED, and TOO_LATE once the meal began.
    Nothing is written either way."""
    _, _, host, meal, (guest,) = await a_table(client, 1)
    polls = []
    for _ in range(2):
        body = await gql(
            client,
            CREATE,
            {"m": meal, "k": "TIME", "q": "哪天？", "o": [{"startsAt": at(72)}, {"startsAt": at(96)}]},
            host,
        )
        polls.append(body["data"]["createMealPoll"]["poll"])
    first = polls[0]
    assert (await gql(client, VOTE, {"p": first["id"], "o": first["options"][0]["id"]}, guest))["data"][
        "voteInPoll"
    ]["errors"] == []

    # Begun: the meal's time has come (simulated).
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(
        starts_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    late = (await gql(client, VOTE, {"p": first["id"], "o": first["options"][1]["id"]}, guest))["data"][
        "voteInPoll"
    ]
    assert late["errors"] == [{"field": "pollId", "code": "TOO_LATE"}]

    # Called off (back in the future, then cancelled): no vote lands, none moves.
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(
        starts_at=datetime.now(UTC) + timedelta(days=2)
    )
    assert (await gql(client, CANCEL, {"id": meal}, host))["data"]["cancelSharedMeal"]["errors"] == []
    second = polls[1]
    for poll, option in ((second, 0), (first, 1)):
        refused = (await gql(client, VOTE, {"p": poll["id"], "o": poll["options"][option]["id"]}, guest))[
            "data"
        ]["voteInPoll"]
        assert refused["errors"] == [{"field": "pollId", "code": "CANCELLED"}]
    listed = (
        await gql(
            client,
            "query($m: ID!) { mealPolls(mealId: $m) { myVote options { votes } } }",
            {"m": meal},
            guest,
        )
    )["data"]["mealPolls"]
    assert [p["options"] for p in listed] == [[{"votes": 1}, {"votes": 0}], [{"votes": 0}, {"votes": 0}]]
    assert listed[0]["myVote"] == first["options"][0]["id"] and listed[1]["myVote"] is None
    # The host closing it hears why it can't: the meal was cancelled.
    close = "mutation($p: ID!) { closeMealPoll(pollId: $p) { poll { closed } errors { code } } }"
    assert (await gql(client, close, {"p": second["id"]}, host))["data"]["closeMealPoll"]["errors"] == [
        {"code": "CANCELLED"}
    ]
    stranger, _, _ = await register(client)
    hidden = (await gql(client, VOTE, {"p": second["id"], "o": second["options"][0]["id"]}, stranger))["data"]
    assert hidden["voteInPoll"]["errors"] == [{"field": "pollId", "code": "NOT_JOINED"}]


# ------------------------------------------------------------------ 2. errors name the argument sent


async def test_answers_to_table_requests_name_the_request_id_whatever_went_wrong(client):
    """answerReservationRequest and answerProposedTime take `requestId`; a booking's NOT_FOUND or
    FORBIDDEN named `bookingId`, a meal's confirm `mealId` (arguments the client never sent, so
    its form showed the error nowhere). Every error of theirs now names `requestId`."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    stranger_staff, _ = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 8))
    booking = (await book(client, diner, restaurant, when, 2))["booking"]["id"]
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    gone = base64.b64encode(b"Booking:987654321").decode()
    for request in (booking, meal):
        for decision in ("CONFIRM", "DECLINE", "PROPOSE"):
            refused = (
                await gql(
                    client, ANSWER, {"id": request, "d": decision, "r": "满了", "p": at(31)}, stranger_staff
                )
            )["data"]["answerReservationRequest"]
            assert [(e["field"], e["code"]) for e in refused["errors"]] == [("requestId", "FORBIDDEN")], (
                decision
            )
    missing = (await gql(client, ANSWER, {"id": gone, "d": "CONFIRM"}, owner))["data"][
        "answerReservationRequest"
    ]
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("requestId", "NOT_FOUND")]
    # Answered once: a second confirm of the meal's request names requestId too.
    for _ in range(2):
        body = (await gql(client, ANSWER, {"id": meal, "d": "CONFIRM"}, owner))["data"][
            "answerReservationRequest"
        ]
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("requestId", "ALREADY_ANSWERED")]
    # Someone else's booking, answered as its diner would: as if it did not exist, on requestId.
    other, _, _ = await register(client)
    theirs = (await gql(client, PROPOSAL, {"id": booking, "a": True}, other))["data"]["answerProposedTime"]
    assert theirs["errors"] == [{"field": "requestId", "code": "NOT_FOUND"}]


# ------------------------------------------------------------------ 3. what staff are told


async def test_staff_are_told_when_and_how_many_a_meal_table_request_is_for(client):
    """A meal's table request told staff only 「周五火锅局」请求订座: no day, no time, no party, no
    note (a booking's notice says all of them). Now the restaurant's local time, the seats taken
    and the meal's capacity, and the host's note."""
    owner, restaurant = await open_restaurant(client, 31.23, 121.47)  # Shanghai
    host, _, meal, _ = await host_meal(client, capacity=6, restaurant=restaurant)
    guest, _, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["errors"] == []
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    starts = (await gql(client, MEAL_TIME, {"id": meal}, owner))["data"]["sharedMeal"]["startsAt"]
    told = [n for n in await notes(client, owner) if n["kind"] == "reservation_requested"]
    assert [n["message"] for n in told] == [
        f"「周五火锅局」请求订座：{local(starts, await zone_of(restaurant))} 2 人（最多 6 人），备注：靠窗"
    ]


# ------------------------------------------------------------------ 4. a meal under way stays put


async def test_a_meal_under_way_is_not_moved_by_a_proposed_time(client):
    """Staff proposed another time for a meal's table; the meal began (a guest left: a no-show on
    record); the host then accepted and the meal under way jumped to another day, SCHEDULED again
    with its no-show standing. Now accepting (or proposing) once the meal began is TOO_LATE and
    the meal keeps its time; turning the proposal down still works."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["errors"] == []
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    proposed = (await gql(client, ANSWER, {"id": meal, "d": "PROPOSE", "p": at(72)}, owner))["data"]
    assert proposed["answerReservationRequest"]["errors"] == []
    began = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(starts_at=began)
    late = (await gql(client, PROPOSAL, {"id": meal, "a": True}, host))["data"]["answerProposedTime"]
    assert late["errors"] == [{"field": "requestId", "code": "TOO_LATE"}]
    kept = (await gql(client, MEAL_TIME, {"id": meal}, host))["data"]["sharedMeal"]
    assert datetime.fromisoformat(kept["startsAt"]) == began and kept["reservationStatus"] == "PROPOSED"
    declined = (await gql(client, PROPOSAL, {"id": meal, "a": False}, host))["data"]["answerProposedTime"]
    assert declined["errors"] == [] and declined["request"]["meal"]["reservationStatus"] == "DECLINED"
    # Asked again under way, staff can't propose another time either (confirming still works).
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(reservation="requested")
    again = (await gql(client, ANSWER, {"id": meal, "d": "PROPOSE", "p": at(72)}, owner))["data"]
    assert again["answerReservationRequest"]["errors"] == [
        {"field": "requestId", "code": "TOO_LATE", "message": "This meal has already started"}
    ]
    confirmed = (await gql(client, ANSWER, {"id": meal, "d": "CONFIRM"}, owner))["data"][
        "answerReservationRequest"
    ]
    assert confirmed["errors"] == [] and confirmed["request"]["meal"]["reservationStatus"] == "CONFIRMED"


# ------------------------------------------------------------------ 5. my meals


MY_MEALS = """query($f: Int, $a: String) { myMeals(first: $f, after: $a) {
  totalCount edges { node { id myStatus phase } } pageInfo { hasNextPage endCursor } } }"""


async def my_meals(client, token: str, first: int = 20, after: str | None = None) -> dict:
    return (await gql(client, MY_MEALS, {"f": first, "a": after}, token))["data"]["myMeals"]


async def test_my_meals_lists_the_tables_i_am_part_of_soonest_first_then_past_ones(client):
    """A diner who joined tables (or waits at one) had no way back to them but old notifications
    (events have myEvents). myMeals: the meals they host or are part of, those not over yet
    (under way included) soonest first, then past ones latest first; not a meal they left, a
    cancelled one, nor one whose host they blocked; paged across both parts."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    me, _, _ = await register(client)
    hosts, meals = [], []
    for _ in range(6):
        host, host_id, meal, _ = await host_meal(client, capacity=2, restaurant=restaurant)
        hosts.append((host, host_id))
        meals.append(meal)
    now = datetime.now(UTC).replace(microsecond=0)
    when = [
        now + timedelta(days=3),
        now + timedelta(days=1),
        now - timedelta(hours=1),
        now - timedelta(days=2),
        now + timedelta(days=2),
        now - timedelta(days=1),
    ]
    for meal in meals:
        assert (await gql(client, JOIN, {"id": meal}, me))["data"]["joinSharedMeal"]["errors"] == []
    # Full table: I wait at a seventh; and I host my own.
    full_host, _, full, _ = await host_meal(client, capacity=2, restaurant=restaurant)
    filler, _, _ = await register(client)
    await gql(client, JOIN, {"id": full}, filler)
    assert (await gql(client, JOIN, {"id": full}, me))["data"]["joinSharedMeal"]["status"] == "WAITLISTED"
    _, _, hosted, _ = await host_meal(client, restaurant=restaurant)  # someone else's: not mine
    body = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { code } } }",
        {"i": {"restaurantId": restaurant, "title": "我的局", "startsAt": at(100), "capacity": 4}},
        me,
    )
    own = body["data"]["createSharedMeal"]["meal"]["id"]
    # Left one, one cancelled by its host, one whose host I block: none of them listed.
    left, cancelled, blocked = meals[4], meals[1], meals[5]
    assert (
        await gql(
            client,
            "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { errors { code } } }",
            {"id": left},
            me,
        )
    )["data"]["leaveSharedMeal"]["errors"] == []
    assert (await gql(client, CANCEL, {"id": cancelled}, hosts[1][0]))["data"]["cancelSharedMeal"][
        "errors"
    ] == []
    for i, moment in enumerate(when):
        await SharedMeal.filter(id=decode(meals[i], "SharedMeal", "id")).update(starts_at=moment)
    # Yesterday's meal, completed: my seat there stands; blocking its host hides it all the same.
    await SharedMeal.filter(id=decode(blocked, "SharedMeal", "id")).update(status="completed")
    block = "mutation($id: ID!) { blockUser(userId: $id) { errors { code } } }"
    assert (await gql(client, block, {"id": hosts[5][1]}, me))["data"]["blockUser"]["errors"] == []

    listed = await my_meals(client, me)
    got = [(e["node"]["id"], e["node"]["myStatus"], e["node"]["phase"]) for e in listed["edges"]]
    assert got == [
        (meals[2], "JOINED", "UNDER_WAY"),  # under way: not over yet, soonest first
        (full, "WAITLISTED", "SCHEDULED"),  # in two days (host_meal's default time)
        (meals[0], "JOINED", "SCHEDULED"),  # in three days
        (own, "HOST", "SCHEDULED"),  # in 100 hours
        (meals[3], "JOINED", "COMPLETED"),  # then past ones, latest first
    ], got
    assert listed["totalCount"] == 5 and listed["pageInfo"]["hasNextPage"] is False
    assert blocked not in [m for m, _, _ in got] and hosted not in [m for m, _, _ in got]
    # Paged two at a time, across the two parts, the same list.
    seen, after = [], None
    while True:
        page = await my_meals(client, me, 2, after)
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [m for m, _, _ in got]
    # Signed out: UNAUTHENTICATED; someone new: nothing.
    anonymous = await gql(client, MY_MEALS, {"f": 5}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    fresh, _, _ = await register(client)
    assert (await my_meals(client, fresh))["edges"] == []


# ------------------------------------------------------------------ 6. words and codes that say what happened


async def test_rating_too_soon_is_too_early_and_join_answers_read_as_what_happened(client):
    """Rating a meal still to come or under way answered TOO_LATE (it is too early: the rating
    opens at the end), a cancelled one TOO_LATE too (now CANCELLED). A diner whose request the host
    declined was told on rejoining "The host removed you", and the answers to a join request read
    未通过：「周五火锅局」; now they say whose request and what became of it."""
    host, _, meal, _ = await host_meal(client, capacity=2, approvalRequired=True)
    guests = [await register(client) for _ in range(3)]
    for token, _, _ in guests:
        assert (await gql(client, JOIN, {"id": meal}, token))["data"]["joinSharedMeal"]["status"] == "PENDING"
    (seated, seated_id, _), (waiting, waiting_id, _), (declined, declined_id, _) = guests
    for user, approve in ((seated_id, True), (waiting_id, True), (declined_id, False)):
        body = await gql(client, ANSWER_JOIN, {"m": meal, "u": user, "a": approve}, host)
        assert body["data"]["answerJoinRequest"]["errors"] == []
    told = {
        token: [n["message"] for n in await notes(client, token) if n["kind"].startswith("join_")]
        for token, _, _ in guests
    }
    assert told == {
        seated: ["你加入「周五火锅局」的申请已通过，你已入座"],
        waiting: ["你加入「周五火锅局」的申请已通过，目前满座，你在候补名单上"],
        declined: ["你加入「周五火锅局」的申请未通过"],
    }
    again = (await gql(client, JOIN_WHY, {"id": meal}, declined))["data"]["joinSharedMeal"]["errors"]
    assert again == [
        {"field": "mealId", "code": "FORBIDDEN", "message": "The host declined your request to join"}
    ]

    rate = "mutation($m: ID!) { rateMeal(mealId: $m, thumbsUp: true) { rated errors { field code } } }"
    early = (await gql(client, rate, {"m": meal}, seated))["data"]["rateMeal"]
    assert early == {"rated": False, "errors": [{"field": "mealId", "code": "TOO_EARLY"}]}
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(
        starts_at=datetime.now(UTC) - timedelta(hours=1)
    )
    under_way = (await gql(client, rate, {"m": meal}, seated))["data"]["rateMeal"]
    assert under_way["errors"] == [{"field": "mealId", "code": "TOO_EARLY"}]
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(status="cancelled")
    cancelled = (await gql(client, rate, {"m": meal}, seated))["data"]["rateMeal"]
    assert cancelled["errors"] == [{"field": "mealId", "code": "CANCELLED"}]


# ------------------------------------------------------------------ 7. the host edits a meal


UPDATE = """mutation($m: ID!, $i: SharedMealUpdateInput!) { updateSharedMeal(mealId: $m, input: $i) {
  meal { title description capacity startsAt seatsTaken seatsOffered waitlistCount reservationStatus
         guests { state } } errors { field code } } }"""
WAITING_STATES = "query($id: ID!) { sharedMeal(id: $id) { waiting { state user { id } } } }"


async def update_meal(client, token: str, meal: str, **changes) -> dict:
    return (await gql(client, UPDATE, {"m": meal, "i": changes}, token))["data"]["updateSharedMeal"]


async def test_the_host_edits_a_meal_more_seats_go_to_the_waitlist_a_new_time_is_told(client):
    """A host who mistyped the title, wanted two more seats or another evening could only cancel
    and start again (losing everyone). updateSharedMeal: create's checks; capacity never below the
    seats held; added seats offered to the waitlist in its order; a new time tells the seated
    guests in local time and withdraws the table request (its staff told); strangers NOT_FOUND;
    TOO_LATE once the meal began, CANCELLED once called off; a refused edit writes nothing."""
    owner, restaurant = await open_restaurant(client, 31.23, 121.47)  # Shanghai
    host, _, meal, _ = await host_meal(client, capacity=3, restaurant=restaurant)
    people = [await register(client) for _ in range(5)]
    for token, _, _ in people:
        await gql(client, JOIN, {"id": meal}, token)
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    stranger = people[0][0]
    assert (await update_meal(client, stranger, meal, title="我的局"))["errors"] == [
        {"field": "mealId", "code": "NOT_FOUND"}
    ]
    refused = await update_meal(client, host, meal, capacity=2, title="改名")
    assert refused["errors"] == [{"field": "capacity", "code": "OUT_OF_RANGE"}]
    for bad, field, code in (
        ({"capacity": 21}, "capacity", "OUT_OF_RANGE"),
        ({"title": " "}, "title", "INVALID"),
        ({"startsAt": at(-1)}, "startsAt", "IN_THE_PAST"),
        ({"startsAt": "2030-01-01T19:00:00"}, "startsAt", "INVALID"),
    ):
        assert (await update_meal(client, host, meal, **bad))["errors"] == [{"field": field, "code": code}], (
            bad
        )
    unchanged = (await gql(client, MEAL_TIME, {"id": meal}, host))["data"]["sharedMeal"]
    assert unchanged["reservationStatus"] == "REQUESTED"

    new_time = at(72)
    edited = await update_meal(client, host, meal, capacity=5, title="周六火锅局", startsAt=new_time)
    assert edited["errors"] == []
    got = edited["meal"]
    assert (got["title"], got["capacity"], got["seatsTaken"], got["seatsOffered"], got["waitlistCount"]) == (
        "周六火锅局",
        5,
        5,
        2,
        1,
    )
    assert datetime.fromisoformat(got["startsAt"]) == datetime.fromisoformat(new_time)
    assert got["reservationStatus"] == "NONE"
    waiting = (await gql(client, WAITING_STATES, {"id": meal}, host))["data"]["sharedMeal"]["waiting"]
    assert [(w["state"], w["user"]["id"]) for w in waiting] == [
        ("OFFERED", people[2][1]),
        ("OFFERED", people[3][1]),
        ("WAITLISTED", people[4][1]),
    ]
    zone = await zone_of(restaurant)
    seated = [n["message"] for n in await notes(client, people[0][0]) if n["kind"] == "meal_changed"]
    assert seated == [f"「周六火锅局」改时间了：{local(new_time, zone)}"]
    offered = [n["kind"] for n in await notes(client, people[2][0])]
    assert offered[0] == "seat_offered"
    staff = [n["kind"] for n in await notes(client, owner)]
    assert staff[0] == "reservation_withdrawn"

    # Begun: TOO_LATE; called off: CANCELLED.
    pk = decode(meal, "SharedMeal", "id")
    await SharedMeal.filter(id=pk).update(starts_at=datetime.now(UTC) - timedelta(minutes=1))
    assert (await update_meal(client, host, meal, title="晚了"))["errors"] == [
        {"field": "mealId", "code": "TOO_LATE"}
    ]
    await SharedMeal.filter(id=pk).update(starts_at=datetime.now(UTC) + timedelta(days=1))
    assert (await gql(client, CANCEL, {"id": meal}, host))["data"]["cancelSharedMeal"]["errors"] == []
    assert (await update_meal(client, host, meal, title="取消了"))["errors"] == [
        {"field": "mealId", "code": "CANCELLED"}
    ]
    await SharedMeal.filter(id=pk).update(starts_at=datetime.now(UTC) - timedelta(days=1))
    assert (await update_meal(client, host, meal, capacity=4))["errors"] == [
        {"field": "mealId", "code": "CANCELLED"}
    ]


async def test_a_capacity_cut_racing_joins_never_overbooks(client):
    """Ten diners join while the host cuts the table to 3: whatever the order, the seats held
    never pass the capacity and every seat is a listed guest."""
    host, _, meal, _ = await host_meal(client, capacity=8)
    tokens = [(await register(client))[0] for _ in range(10)]
    cut, *_ = await asyncio.gather(
        update_meal(client, host, meal, capacity=3),
        *(gql(client, JOIN, {"id": meal}, token) for token in tokens),
    )
    state = (
        await gql(
            client,
            "query($id: ID!) { sharedMeal(id: $id) { capacity seatsTaken guests { state } } }",
            {"id": meal},
            host,
        )
    )["data"]["sharedMeal"]
    assert state["seatsTaken"] <= state["capacity"]
    assert state["seatsTaken"] == len(state["guests"])
    if cut["errors"]:
        assert cut["errors"] == [{"field": "capacity", "code": "OUT_OF_RANGE"}] and state["capacity"] == 8
    else:
        assert state["capacity"] == 3 and state["seatsTaken"] == 3


# ------------------------------------------------------------------ 8. seat offers follow the meal's time


SEAT_OFFER = "query($m: ID!) { mySeatOffer(mealId: $m) { expiresAt } }"
ANSWER_OFFER = """mutation($m: ID!, $a: Boolean!) { answerSeatOffer(mealId: $m, accept: $a) {
  meal { myStatus seatsTaken } errors { field code } } }"""


async def test_a_seat_offer_never_outlasts_the_meals_new_time_nor_seats_anyone_once_it_began(client):
    """An offer made for a meal three days off ran four hours; the host moved the meal to two hours
    from now and the offer still ran past the start, so the diner could take a seat at a meal
    under way. Now moving a meal (the host's edit, a poll, the restaurant's proposal) shortens
    open offers to what an offer made for the new time gets, and no offer is accepted once the
    meal began (OFFER_LAPSED)."""
    host, _, meal, _ = await host_meal(client, capacity=2)
    (seated, _, _), (waiting, _, _) = [await register(client) for _ in range(2)]
    await gql(client, JOIN, {"id": meal}, seated)
    assert (await gql(client, JOIN, {"id": meal}, waiting))["data"]["joinSharedMeal"][
        "status"
    ] == "WAITLISTED"
    assert (
        await gql(
            client,
            "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { errors { code } } }",
            {"id": meal},
            seated,
        )
    )["data"]["leaveSharedMeal"]["errors"] == []
    first = (await gql(client, SEAT_OFFER, {"m": meal}, waiting))["data"]["mySeatOffer"]
    assert datetime.fromisoformat(first["expiresAt"]) > datetime.now(UTC) + timedelta(hours=1)
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    assert (await update_meal(client, host, meal, startsAt=soon.isoformat()))["errors"] == []
    offer = (await gql(client, SEAT_OFFER, {"m": meal}, waiting))["data"]["mySeatOffer"]
    assert datetime.fromisoformat(offer["expiresAt"]) <= datetime.now(UTC) + timedelta(minutes=31)
    # The meal began (the clock, simulated) while the offer still stood: no seat at a meal under way.
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(
        starts_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    late = (await gql(client, ANSWER_OFFER, {"m": meal, "a": True}, waiting))["data"]["answerSeatOffer"]
    assert late == {"meal": None, "errors": [{"field": "mealId", "code": "OFFER_LAPSED"}]}
    seats = await gql(
        client, MEAL_TIME.replace("reservationStatus", "seatsTaken myStatus"), {"id": meal}, waiting
    )
    assert seats["data"]["sharedMeal"]["myStatus"] == "OFFERED"


# ------------------------------------------------------------------ 9. my bookings


async def test_my_bookings_put_what_is_coming_first_however_long_the_history(client):
    """myBookings listed the first 100 by time, oldest first: a regular with 100 past bookings never
    saw the one for tonight. Now those still to come come first (soonest first), then past ones
    (latest first), still at most 100."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    await open_slots(client, owner, restaurant, (at(30), 4), (at(50), 4))
    later = (await book(client, diner, restaurant, at(50), 2))["booking"]["id"]
    sooner = (await book(client, diner, restaurant, at(30), 2))["booking"]["id"]
    # A long history (simulated: a hundred and five evenings past).
    booked = await Booking.get(id=decode(sooner, "Booking", "id"))
    now = datetime.now(UTC).replace(microsecond=0)
    await Booking.bulk_create(
        [
            Booking(
                restaurant_id=booked.restaurant_id,
                slot_id=booked.slot_id,
                user_id=booked.user_id,
                party_size=2,
                starts_at=now - timedelta(days=day),
                status="confirmed",
            )
            for day in range(1, 106)
        ]
    )
    mine = (await gql(client, "{ myBookings { id startsAt } }", token=diner))["data"]["myBookings"]
    assert len(mine) == 100
    assert [b["id"] for b in mine[:2]] == [sooner, later]
    past = [datetime.fromisoformat(b["startsAt"]) for b in mine[2:]]
    assert past == sorted(past, reverse=True) and past[0] == now - timedelta(days=1)


# ------------------------------------------------------------------ 10. dish polls offer the menu


async def test_a_dish_poll_offers_only_dishes_still_on_the_menu(client):
    """A dish poll took a dish the restaurant had taken off its menu (archived), so guests voted
    for something nobody could order; now that option is NOT_FOUND and no poll is made."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    on_menu = await add_dish(client, owner, restaurant, "毛肚")
    gone = await add_dish(client, owner, restaurant, "鸭肠")
    archive = "mutation($d: ID!) { archiveDish(dishId: $d) { errors { code } } }"
    assert (await gql(client, archive, {"d": gone}, owner))["data"]["archiveDish"]["errors"] == []
    options = [{"dishId": on_menu}, {"dishId": gone}]
    body = await gql(client, CREATE, {"m": meal, "k": "DISH", "q": "点什么？", "o": options}, host)
    assert body["data"]["createMealPoll"] == {
        "poll": None,
        "errors": [{"field": "options.1.dishId", "code": "NOT_FOUND"}],
    }
    polls = await gql(client, "query($m: ID!) { mealPolls(mealId: $m) { id } }", {"m": meal}, host)
    assert polls["data"]["mealPolls"] == []


# ------------------------------------------------------------------ 11. everyone in line hears of a new time


async def test_a_new_time_is_told_to_those_offered_a_seat_and_waiting_too(client):
    """A meal moved (the host's edit, a poll, the restaurant's proposal) told only its seated
    guests: a diner offered a seat accepted it for the old evening, the waitlist never knew. Now
    everyone at it or in line for it is told."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, capacity=2, restaurant=restaurant)
    (seated, _, _), (offered, _, _), (waiting, _, _) = [await register(client) for _ in range(3)]
    for token in (seated, offered, waiting):
        await gql(client, JOIN, {"id": meal}, token)
    leave = "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { errors { code } } }"
    assert (await gql(client, leave, {"id": meal}, seated))["data"]["leaveSharedMeal"]["errors"] == []
    assert (await gql(client, SEAT_OFFER, {"m": meal}, offered))["data"]["mySeatOffer"] is not None
    moved_to = at(80)
    assert (await update_meal(client, host, meal, startsAt=moved_to))["errors"] == []
    text = f"「周五火锅局」改时间了：{local(moved_to, await zone_of(restaurant))}"
    for token in (offered, waiting):
        assert [n["message"] for n in await notes(client, token) if n["kind"] == "meal_changed"] == [text]
    # The restaurant proposes another time and the host takes it: the same people hear of it.
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    proposed = at(90)
    answer = await gql(client, ANSWER, {"id": meal, "d": "PROPOSE", "p": proposed}, owner)
    assert answer["data"]["answerReservationRequest"]["errors"] == []
    assert (await gql(client, PROPOSAL, {"id": meal, "a": True}, host))["data"]["answerProposedTime"][
        "errors"
    ] == []
    for token in (offered, waiting):
        kinds = [n["kind"] for n in await notes(client, token)]
        assert kinds[0] == "meal_time_changed", kinds


# ------------------------------------------------------------------ 12. a poll nobody answered


async def test_closing_a_poll_nobody_voted_in_changes_nothing(client):
    """A host closing a time poll nobody had voted in (to drop it) saw the meal move to the first
    option, its confirmed table withdrawn and every guest told; now the poll closes with no winner
    and the meal, its table request and the guests' notifications stay as they were."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    assert (await gql(client, ANSWER, {"id": meal, "d": "CONFIRM"}, owner))["data"][
        "answerReservationRequest"
    ]["errors"] == []
    before = (await gql(client, MEAL_TIME, {"id": meal}, guest))["data"]["sharedMeal"]
    body = await gql(
        client,
        CREATE,
        {"m": meal, "k": "TIME", "q": "改天？", "o": [{"startsAt": at(72)}, {"startsAt": at(96)}]},
        host,
    )
    poll = body["data"]["createMealPoll"]["poll"]
    close = (
        "mutation($p: ID!) { closeMealPoll(pollId: $p) { poll { closed winner { label } } errors { code } } }"
    )
    closed = (await gql(client, close, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
    assert closed == {"poll": {"closed": True, "winner": None}, "errors": []}
    after = (await gql(client, MEAL_TIME, {"id": meal}, guest))["data"]["sharedMeal"]
    assert after == before and after["reservationStatus"] == "CONFIRMED"
    assert [n for n in await notes(client, guest) if n["kind"] == "meal_changed"] == []
    assert [n for n in await notes(client, owner) if n["kind"] == "reservation_withdrawn"] == []


# ------------------------------------------------------------------ 13. what the host reads when someone goes


async def test_the_host_reads_what_a_diner_gave_up_a_seat_a_place_in_line_or_a_request(client):
    """Every diner going told the host 「X 退出了「周五火锅局」」, even one who had only asked to join
    or was waiting in line; now the host reads which it was."""
    host, _, full, _ = await host_meal(client, capacity=2)
    other_host, _, asked, _ = await host_meal(client, capacity=4, approvalRequired=True)
    (seated, _, _), (waiting, _, _), (asking, _, _) = [
        await register(client, name=name) for name in ("小王", "小李", "小张")
    ]
    await gql(client, JOIN, {"id": full}, seated)
    await gql(client, JOIN, {"id": full}, waiting)
    await gql(client, JOIN, {"id": asked}, asking)
    leave = "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { errors { code } } }"
    for token, meal in ((waiting, full), (seated, full), (asking, asked)):
        assert (await gql(client, leave, {"id": meal}, token))["data"]["leaveSharedMeal"]["errors"] == []
    told = [n["message"] for n in await notes(client, host) if n["kind"] == "meal_left"]
    assert told == ["小王 退出了「周五火锅局」", "小李 不再候补「周五火锅局」"]
    withdrawn = [n["message"] for n in await notes(client, other_host) if n["kind"] == "meal_left"]
    assert withdrawn == ["小张 撤回了加入「周五火锅局」的申请"]


# ------------------------------------------------------------------ 14. a proposal that no longer stands


async def test_a_cancelled_booking_shows_no_proposed_time(client):
    """Staff proposed another time; the diner cancelled instead. The cancelled booking still showed
    proposedStartsAt (the app offered "accept 20:00?" on it); now it is null once no proposal stands."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    first, second = at(30), at(31)
    await open_slots(client, owner, restaurant, (first, 6), (second, 6))
    booking = (await book(client, diner, restaurant, first, 2))["booking"]["id"]
    proposed = await gql(client, ANSWER, {"id": booking, "d": "PROPOSE", "p": second}, owner)
    assert proposed["data"]["answerReservationRequest"]["request"]["booking"]["proposedStartsAt"] is not None
    cancel = "mutation($b: ID!) { cancelBooking(bookingId: $b) { booking { status proposedStartsAt } errors { code } } }"
    cancelled = (await gql(client, cancel, {"b": booking}, diner))["data"]["cancelBooking"]
    assert cancelled == {"booking": {"status": "CANCELLED", "proposedStartsAt": None}, "errors": []}
    mine = (await gql(client, "{ myBookings { status proposedStartsAt } }", token=diner))["data"][
        "myBookings"
    ]
    assert mine == [{"status": "CANCELLED", "proposedStartsAt": None}]


# ------------------------------------------------------------------ 15. an event's price is told


async def test_a_new_event_price_is_told_to_everyone_going(client):
    """Staff raised an event's price (paid at the door, 到店付) from free to ¥288 and nobody going
    was told: they learnt it at the till. A new price now tells each attendee once, with the new
    time when both change; a new title alone tells nobody."""
    from tests.test_closure_journeys import an_event
    from tests.test_events_journeys import UPDATE, rsvp

    owner, restaurant = await open_restaurant(client, 31.23, 121.47)
    event = await an_event(client, owner, restaurant, at(24))
    going, _, _ = await register(client)
    await rsvp(client, going, event)

    async def update(**changes) -> dict:
        return (await gql(client, UPDATE, {"id": event, "i": changes}, owner))["data"][
            "updateRestaurantEvent"
        ]

    async def told() -> list[str]:
        return [n["message"] for n in await notes(client, going) if n["kind"] == "event_changed"]

    assert (await update(priceCents=28800))["errors"] == []
    assert await told() == ["「川菜品鉴会」价格改为 ¥288.00（到店付）"]
    moved = at(26)
    assert (await update(priceCents=18800, startsAt=moved, title="川菜夜"))["errors"] == []
    when = local(moved, await zone_of(restaurant))
    assert (await told())[0] == f"「川菜夜」改到 {when}，价格改为 ¥188.00（到店付）"
    assert (await update(title="川菜之夜", priceCents=18800))["errors"] == []
    assert len(await told()) == 2


# ------------------------------------------------------------------ 16. an offer at a meal that is over


async def test_answering_a_seat_offer_at_a_meal_that_is_over_is_too_late(client):
    """An offer still open when the meal was completed answered CANCELLED ("no longer open") to a
    diner whose meal had simply taken place; now TOO_LATE, and CANCELLED only for a cancelled meal."""
    host, _, meal, _ = await host_meal(client, capacity=2)
    (seated, _, _), (waiting, _, _) = [await register(client) for _ in range(2)]
    await gql(client, JOIN, {"id": meal}, seated)
    await gql(client, JOIN, {"id": meal}, waiting)
    leave = "mutation($id: ID!) { leaveSharedMeal(mealId: $id) { errors { code } } }"
    assert (await gql(client, leave, {"id": meal}, seated))["data"]["leaveSharedMeal"]["errors"] == []
    pk = decode(meal, "SharedMeal", "id")
    await SharedMeal.filter(id=pk).update(status="completed")
    over = (await gql(client, ANSWER_OFFER, {"m": meal, "a": True}, waiting))["data"]["answerSeatOffer"]
    assert over["errors"] == [{"field": "mealId", "code": "TOO_LATE"}]
    await SharedMeal.filter(id=pk).update(status="cancelled")
    off = (await gql(client, ANSWER_OFFER, {"m": meal, "a": False}, waiting))["data"]["answerSeatOffer"]
    assert off["errors"] == [{"field": "mealId", "code": "CANCELLED"}]


# ------------------------------------------------------------------ 17. the inbox's diner records


async def test_the_inbox_reads_every_diners_record_in_a_few_statements(client):
    """Each inbox line's dinerRecord cost four statements of its own: a busy evening of 60
    bookings was some 240 round trips per look at the inbox. Now the records of a whole day come
    in four statements, however many diners; each record still counts what it did."""
    from tests.conftest import count_sql

    owner, restaurant = await open_restaurant(client, *random_spot())
    slot = at(30)
    await open_slots(client, owner, restaurant, (slot, 200))
    day = datetime.fromisoformat(slot).astimezone(await zone_of(restaurant)).date().isoformat()
    query = """query($r: ID!, $d: Date!) { reservationInbox(restaurantId: $r, day: $d) {
      requestId dinerRecord { attended noShows rated } booking { dinerRecord { noShows } } } }"""

    async def statements() -> tuple[int, list[dict]]:
        await gql(client, query, {"r": restaurant, "d": day}, owner)  # warm: the viewer, the zone
        with count_sql() as sql:
            body = await gql(client, query, {"r": restaurant, "d": day}, owner)
        return len(sql.statements), body["data"]["reservationInbox"]

    for _ in range(2):
        diner, _, _ = await register(client)
        await book(client, diner, restaurant, slot, 2)
    few, _ = await statements()
    for _ in range(6):
        diner, _, _ = await register(client)
        await book(client, diner, restaurant, slot, 2)
    # One of them with a no-show on record (simulated: an earlier booking marked so).
    marked = (
        await Booking.filter(restaurant_id=decode(restaurant, "Restaurant", "id")).order_by("-id").first()
    )
    await Booking.create(
        restaurant_id=marked.restaurant_id,
        slot_id=marked.slot_id,
        user_id=marked.user_id,
        party_size=1,
        starts_at=datetime.now(UTC) - timedelta(days=3),
        status="no_show",
    )
    many, lines = await statements()
    assert len(lines) == 8
    assert many == few, (few, many)
    records = sorted(line["dinerRecord"]["noShows"] for line in lines)
    assert records == [0] * 7 + [1]
    assert all(
        line["booking"]["dinerRecord"] == {"noShows": line["dinerRecord"]["noShows"]} for line in lines
    )
