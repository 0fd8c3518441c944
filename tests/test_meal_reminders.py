"""开饭提醒: the host and seated guests are reminded a few hours before a meal, once per meal and
time (a second run, or a second worker, reminds nobody again; a new time is reminded again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from resolvers.meals.reminders import remind_meals
from tests.helpers import gql, register
from tests.test_meals import JOIN, host_meal

NOTES = "{ notifications(first: 20) { edges { node { kind message meal { id } } } } }"
MOVE = "mutation($m: ID!, $i: SharedMealUpdateInput!) { updateSharedMeal(mealId: $m, input: $i) { errors { code } } }"


def soon(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


async def reminders(client, token, meal):
    edges = (await gql(client, NOTES, token=token))["data"]["notifications"]["edges"]
    return [
        e["node"]["message"]
        for e in edges
        if e["node"]["kind"] == "meal_reminder" and (e["node"]["meal"] or {}).get("id") == meal
    ]


async def test_the_table_is_reminded_once_a_few_hours_before_and_again_after_a_new_time(client, services):
    # Hosted beyond the reminder window, then moved into it once the table is set: the app's own
    # job runner (every 2 s in tests) must not remind the table before the guests have joined.
    host, _, meal, _ = await host_meal(client, capacity=2, startsAt=soon(5))
    guest, _, _ = await register(client, name="客人")
    waiting, _, _ = await register(client, name="候补")
    assert (await gql(client, JOIN, {"id": meal}, guest))["data"]["joinSharedMeal"]["status"] == "JOINED"
    assert (await gql(client, JOIN, {"id": meal}, waiting))["data"]["joinSharedMeal"][
        "status"
    ] == "WAITLISTED"
    later_host, _, later_meal, _ = await host_meal(client, startsAt=soon(6))  # not yet
    assert (await gql(client, MOVE, {"m": meal, "i": {"startsAt": soon(2)}}, host))["data"][
        "updateSharedMeal"
    ]["errors"] == []

    await remind_meals(services)
    await remind_meals(services)  # a second run (or worker): nobody twice
    for token in (host, guest):
        [text] = await reminders(client, token, meal)
        assert text.startswith("开饭提醒：「周五火锅局」") and "别迟到" in text
    assert await reminders(client, waiting, meal) == []
    assert await reminders(client, later_host, later_meal) == []

    moved = await gql(client, MOVE, {"m": meal, "i": {"startsAt": soon(2.5)}}, host)
    assert moved["data"]["updateSharedMeal"]["errors"] == []
    await remind_meals(services)
    assert len(await reminders(client, guest, meal)) == 2  # the new time is reminded too


EVENT_NOTES = "{ notifications(first: 20) { edges { node { kind message subject { id } } } } }"
MOVE_EVENT = (
    "mutation($v: ID!, $s: DateTime!, $e: DateTime!) { updateRestaurantEvent(eventId: $v, "
    "input: {startsAt: $s, endsAt: $e}) { errors { code } } }"
)


async def event_reminders(client, token, event):
    edges = (await gql(client, EVENT_NOTES, token=token))["data"]["notifications"]["edges"]
    return [
        e["node"]["message"]
        for e in edges
        if e["node"]["kind"] == "event_reminder" and (e["node"]["subject"] or {}).get("id") == event
    ]


async def test_those_going_to_an_event_are_reminded_once_and_again_after_a_new_time(client, services):
    """活动提醒: who is going (not who cancelled), 3 hours before, once per event and time."""
    from resolvers.meals.reminders import remind_events
    from tests.helpers import open_restaurant, random_spot
    from tests.test_closure_journeys import CANCEL_RSVP, an_event
    from tests.test_meals import RSVP

    owner, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    event = await an_event(client, owner, restaurant, soon(5))  # moved into the window below
    later_event = await an_event(client, owner, restaurant, soon(6))  # not yet
    going, _, _ = await register(client, name="去的人")
    changed_mind, _, _ = await register(client, name="不去了")
    for token in (going, changed_mind):
        for which in (event, later_event):
            assert (await gql(client, RSVP, {"id": which}, token))["data"]["rsvpEvent"]["errors"] == []
    assert (await gql(client, CANCEL_RSVP, {"id": event}, changed_mind))["data"]["cancelEventRsvp"]["errors"] == []
    into_the_window = await gql(client, MOVE_EVENT, {"v": event, "s": soon(2), "e": soon(3.5)}, owner)
    assert into_the_window["data"]["updateRestaurantEvent"]["errors"] == []

    await remind_events(services)
    await remind_events(services)  # a second run (or worker): nobody twice
    [text] = await event_reminders(client, going, event)
    assert text.startswith("活动提醒：「川菜品鉴会」") and "「川味小馆」" in text and "别迟到" in text
    assert await event_reminders(client, changed_mind, event) == []
    assert await event_reminders(client, going, later_event) == []

    moved = await gql(client, MOVE_EVENT, {"v": event, "s": soon(2.5), "e": soon(4)}, owner)
    assert moved["data"]["updateRestaurantEvent"]["errors"] == []
    await remind_events(services)
    assert len(await event_reminders(client, going, event)) == 2  # the new time is reminded too
