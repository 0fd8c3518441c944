"""Deciding together (issue 16): polls in a shared meal that seated guests vote on; the host
closes one and the winner is applied (time or restaurant), guests told; through the endpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.tables_helpers import at, subscribed
from tests.test_meals import JOIN, NOTES, host_meal

CREATE = """
mutation($m: ID!, $k: PollKind!, $q: String!, $o: [PollOptionInput!]!) {
  createMealPoll(mealId: $m, kind: $k, question: $q, options: $o) {
    poll { id kind closed options { id label startsAt votes } } errors { field code } } }
"""
VOTE = "mutation($p: ID!, $o: ID!) { voteInPoll(pollId: $p, optionId: $o) { poll { id } errors { field code } } }"
CLOSE = """
mutation($p: ID!) { closeMealPoll(pollId: $p) {
  poll { closed winner { label votes restaurant { id } } options { votes } } errors { field code } } }
"""
POLLS = "query($m: ID!) { mealPolls(mealId: $m) { id closed myVote options { id votes } } }"
MEAL = "query($id: ID!) { sharedMeal(id: $id) { startsAt restaurant { id } } }"


async def a_table(client, guests: int = 2):
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    tokens = [(await register(client))[0] for _ in range(guests)]
    for token in tokens:
        await gql(client, JOIN, {"id": meal}, token)
    return owner, restaurant, host, meal, tokens


async def test_time_poll_vote_close_applies_the_winner_and_tells_guests(app, client):
    _, _, host, meal, (a, b) = await a_table(client)
    stranger, _, _ = await register(client)
    times = [at(72), at(96)]
    body = await gql(
        client, CREATE, {"m": meal, "k": "TIME", "q": "哪天？", "o": [{"startsAt": t} for t in times]}, host
    )
    poll = body["data"]["createMealPoll"]["poll"]
    first, second = [o["id"] for o in poll["options"]]
    # Guests vote once (voting again moves the vote); strangers cannot.
    for token, option in ((a, first), (a, second), (b, second), (host, first)):
        assert (await gql(client, VOTE, {"p": poll["id"], "o": option}, token))["data"]["voteInPoll"][
            "errors"
        ] == []
    assert (await gql(client, VOTE, {"p": poll["id"], "o": first}, stranger))["data"]["voteInPoll"]["errors"][
        0
    ]["code"] == "NOT_JOINED"
    listed = (await gql(client, POLLS, {"m": meal}, a))["data"]["mealPolls"][0]
    assert listed["myVote"] == second and [o["votes"] for o in listed["options"]] == [1, 2]
    # Only the host closes; the subscriber to the meal hears the change.
    assert (await gql(client, CLOSE, {"p": poll["id"]}, a))["data"]["closeMealPoll"]["errors"][0][
        "code"
    ] == "FORBIDDEN"
    query = "subscription($id: ID!) { sharedMealUpdated(mealId: $id) { startsAt } }"
    async with subscribed(app, b, query, {"id": meal}) as receive:
        closed = (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
        assert closed["errors"] == [] and closed["poll"]["closed"] is True
        assert closed["poll"]["winner"]["votes"] == 2
        assert datetime.fromisoformat(
            (await receive())["sharedMealUpdated"]["startsAt"]
        ) == datetime.fromisoformat(times[1])
    moved = (await gql(client, MEAL, {"id": meal}, a))["data"]["sharedMeal"]
    assert datetime.fromisoformat(moved["startsAt"]) == datetime.fromisoformat(times[1])
    notes = (await gql(client, NOTES, token=a))["data"]["notifications"]["edges"]
    assert notes[0]["node"]["kind"] == "meal_changed"
    # A closed poll takes no votes and closes once.
    late = (await gql(client, VOTE, {"p": poll["id"], "o": first}, a))["data"]["voteInPoll"]
    assert late["errors"] == [{"field": "pollId", "code": "POLL_CLOSED"}]
    again = (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
    assert again["errors"][0]["code"] == "POLL_CLOSED"


async def test_restaurant_and_dish_polls_and_bad_input(client):
    owner, restaurant, host, meal, (a,) = await a_table(client, 1)
    _, elsewhere = await open_restaurant(client, *random_spot(), name="烤鱼")
    dish = await add_dish(client, owner, restaurant)
    _, other_place = await open_restaurant(client, *random_spot())
    foreign_dish = await add_dish(client, *(await open_restaurant(client, *random_spot())))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    bad = [
        ("TIME", [{"startsAt": past}, {"startsAt": at(50)}], "options.0.startsAt", "IN_THE_PAST"),
        ("TIME", [{"startsAt": at(50)}], "options", "OUT_OF_RANGE"),
        ("DISH", [{"dishId": dish}, {"dishId": foreign_dish}], "options.1.dishId", "NOT_FOUND"),
        ("RESTAURANT", [{"restaurantId": elsewhere}, {}], "options.1.restaurantId", "NOT_FOUND"),
    ]
    for kind, options, field, code in bad:
        body = await gql(client, CREATE, {"m": meal, "k": kind, "q": "选哪个", "o": options}, host)
        payload = body["data"]["createMealPoll"]
        assert payload["poll"] is None and {"field": field, "code": code} in payload["errors"], payload
    assert (await gql(client, POLLS, {"m": meal}, host))["data"]["mealPolls"] == []  # nothing half-written
    guest_poll = await gql(
        client, CREATE, {"m": meal, "k": "DISH", "q": "点啥", "o": [{"dishId": dish}] * 2}, a
    )
    assert guest_poll["data"]["createMealPoll"]["errors"][0]["code"] == "FORBIDDEN"
    body = await gql(
        client,
        CREATE,
        {
            "m": meal,
            "k": "RESTAURANT",
            "q": "去哪家",
            "o": [{"restaurantId": other_place}, {"restaurantId": elsewhere}],
        },
        host,
    )
    poll = body["data"]["createMealPoll"]["poll"]
    await gql(client, VOTE, {"p": poll["id"], "o": poll["options"][1]["id"]}, a)
    closed = (await gql(client, CLOSE, {"p": poll["id"]}, host))["data"]["closeMealPoll"]
    assert closed["poll"]["winner"]["restaurant"] == {"id": elsewhere}
    assert (await gql(client, MEAL, {"id": meal}, a))["data"]["sharedMeal"]["restaurant"] == {"id": elsewhere}


async def test_votes_racing_the_close_count_or_are_refused(client):
    _, _, host, meal, guests = await a_table(client, 5)
    body = await gql(
        client,
        CREATE,
        {"m": meal, "k": "TIME", "q": "哪天", "o": [{"startsAt": at(60)}, {"startsAt": at(70)}]},
        host,
    )
    poll = body["data"]["createMealPoll"]["poll"]
    option = poll["options"][0]["id"]
    results = await asyncio.gather(
        *(gql(client, VOTE, {"p": poll["id"], "o": option}, t) for t in guests),
        gql(client, CLOSE, {"p": poll["id"]}, host),
    )
    counted = sum(1 for r in results[:-1] if not r["data"]["voteInPoll"]["errors"])
    refused = [
        r["data"]["voteInPoll"]["errors"][0]["code"]
        for r in results[:-1]
        if r["data"]["voteInPoll"]["errors"]
    ]
    assert set(refused) <= {"POLL_CLOSED"}
    final = (await gql(client, POLLS, {"m": meal}, host))["data"]["mealPolls"][0]
    assert final["closed"] and final["options"][0]["votes"] == counted
    winner = results[-1]["data"]["closeMealPoll"]["poll"]["winner"]
    if counted:
        assert winner["votes"] == counted  # the winner was counted from every accepted vote
    else:
        assert winner is None  # closed before any vote: no winner


HOURS = """mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  errors { field code } } }"""


async def test_a_poll_offers_no_time_or_restaurant_that_would_be_closed(client):
    """A poll's winner moves the meal: a time when its restaurant is closed, or a restaurant closed
    at the meal's time, would set the table at a closed door (RESTAURANT_CLOSED, as on the meal)."""
    from zoneinfo import ZoneInfo

    owner, restaurant, host, meal, _ = await a_table(client, guests=1)
    starts_at = datetime.fromisoformat((await gql(client, MEAL, {"id": meal}, host))["data"]["sharedMeal"]["startsAt"])
    local = starts_at.astimezone(ZoneInfo("Asia/Shanghai"))
    around = {"weekday": local.weekday(), "opens": f"{local.hour:02d}:00", "closes": f"{(local.hour + 2) % 24:02d}:00"}
    hours = {"timezone": "Asia/Shanghai", "weekly": [around]}  # open only around the meal's time
    assert (await gql(client, HOURS, {"r": restaurant, "i": hours}, owner))["data"]["setOpeningHours"]["errors"] == []
    closed_time, open_time = starts_at + timedelta(days=1), starts_at + timedelta(minutes=30)
    options = [{"startsAt": t.isoformat()} for t in (open_time, closed_time)]
    refused = (await gql(client, CREATE, {"m": meal, "k": "TIME", "q": "哪天？", "o": options}, host))["data"]
    assert refused["createMealPoll"]["errors"] == [{"field": "options.1.startsAt", "code": "RESTAURANT_CLOSED"}]

    other_owner, closed_place = await open_restaurant(client, *random_spot())
    shut = {"timezone": "Asia/Shanghai", "weekly": [{**around, "weekday": (local.weekday() + 1) % 7}]}
    assert (await gql(client, HOURS, {"r": closed_place, "i": shut}, other_owner))["data"]["setOpeningHours"][
        "errors"
    ] == []
    _, open_place = await open_restaurant(client, *random_spot())  # no hours: never refused
    places = [{"restaurantId": open_place}, {"restaurantId": closed_place}]
    refused = (await gql(client, CREATE, {"m": meal, "k": "RESTAURANT", "q": "去哪家？", "o": places}, host))["data"]
    assert refused["createMealPoll"]["errors"] == [{"field": "options.1.restaurantId", "code": "RESTAURANT_CLOSED"}]
