"""Time-limited waitlist offers (issue 16): a freed seat is held for the next waitlisted diner,
who accepts within the window or it moves on; nobody is seated without accepting. Lapsing is
the scheduled job's; answers and lapses race without double-seating.

Time passing is simulated by moving an offer's expiry in the database (nothing else is faked)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.restaurants import Restaurant
from models.tables import SeatOffer
from resolvers.jobs import JOBS, run_job
from schema.ids import decode
from tests.helpers import gql, register
from tests.test_meals import JOIN, LEAVE, MEAL, NOTES, host_meal

OFFER = "query($id: ID!) { mySeatOffer(mealId: $id) { expiresAt meal { id } } }"
ANSWER = "mutation($id: ID!, $a: Boolean!) { answerSeatOffer(mealId: $id, accept: $a) { meal { seatsTaken } errors { code } } }"
LAPSE = next(job for job in JOBS if job.name == "lapse-seat-offers")


async def status(client, meal: str, token: str) -> str:
    return (await gql(client, MEAL, {"id": meal}, token))["data"]["sharedMeal"]["myStatus"]


def zone_where_it_is(hour: int) -> str:
    """A fixed-offset zone where the local time now is `hour` o'clock (offers depend on the
    restaurant's local night; the tests pick the restaurant's zone instead of faking the clock)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # POSIX sign: Etc/GMT-8 is UTC+8


def local_text(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local.month}月{local.day}日 {local:%H:%M}"


async def a_full_table_with_a_queue(client, waiting: int, hours: float = 48, local_hour: int = 13):
    host, _, meal, restaurant = await host_meal(
        client, capacity=2, startsAt=(datetime.now(UTC) + timedelta(hours=hours)).isoformat()
    )
    zone = zone_where_it_is(local_hour)
    await Restaurant.filter(id=decode(restaurant, "Restaurant", "r")).update(timezone=zone)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    queue = [(await register(client))[0] for _ in range(waiting)]
    for token in queue:
        assert (await gql(client, JOIN, {"id": meal}, token))["data"]["joinSharedMeal"][
            "status"
        ] == "WAITLISTED"
    return host, meal, guest, queue


async def test_offer_then_decline_then_lapse_then_accept(client, services):
    host, meal, guest, (first, second, third) = await a_full_table_with_a_queue(client, 3)
    assert (await gql(client, LEAVE, {"id": meal}, guest))["data"]["leaveSharedMeal"]["errors"] == []
    assert await status(client, meal, first) == "OFFERED"
    offer = (await gql(client, OFFER, {"id": meal}, first))["data"]["mySeatOffer"]
    left = datetime.fromisoformat(offer["expiresAt"]) - datetime.now(UTC)
    assert timedelta(hours=3, minutes=59) < left <= timedelta(hours=4)  # the meal is days away
    assert (await gql(client, OFFER, {"id": meal}, second))["data"]["mySeatOffer"] is None
    # The seat is held: a newcomer waits; only the offered diner can answer.
    late, _, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, late))["data"]["joinSharedMeal"]["status"] == "WAITLISTED"
    assert (await gql(client, ANSWER, {"id": meal, "a": True}, second))["data"]["answerSeatOffer"][
        "errors"
    ] == [{"code": "NOT_FOUND"}]
    # Declined: off the waitlist, the next is offered.
    declined = (await gql(client, ANSWER, {"id": meal, "a": False}, first))["data"]["answerSeatOffer"]
    assert declined == {"meal": {"seatsTaken": 2}, "errors": []}
    assert (await status(client, meal, first), await status(client, meal, second)) == ("LEFT", "OFFERED")
    # Lapsed: accepting is refused; the job takes it on to the next.
    await SeatOffer.filter(meal_id=decode(meal, "SharedMeal", "m"), status="open").update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    late_accept = (await gql(client, ANSWER, {"id": meal, "a": True}, second))["data"]["answerSeatOffer"]
    assert late_accept["errors"] == [{"code": "OFFER_LAPSED"}]
    assert await run_job(services, LAPSE) >= 1
    assert (await status(client, meal, second), await status(client, meal, third)) == ("LEFT", "OFFERED")
    notes = (await gql(client, NOTES, token=second))["data"]["notifications"]["edges"]
    assert [n["node"]["kind"] for n in notes][:2] == ["offer_lapsed", "seat_offered"]
    accepted = (await gql(client, ANSWER, {"id": meal, "a": True}, third))["data"]["answerSeatOffer"]
    assert accepted == {"meal": {"seatsTaken": 2}, "errors": []}
    assert await status(client, meal, third) == "JOINED"
    assert await status(client, meal, late) == "WAITLISTED"
    # The host hears of the accepted seat as of any join (the list ended at "候补了" before).
    hosts = (await gql(client, NOTES, token=host))["data"]["notifications"]["edges"]
    joined = [n["node"]["kind"] for n in hosts if "接受了空出的座位" in n["node"]["message"]]
    assert joined == ["meal_joined"], [n["node"]["message"] for n in hosts]


async def test_offers_shorten_as_the_meal_nears(client):
    _, meal, guest, (first,) = await a_full_table_with_a_queue(client, 1, hours=0.5)
    await gql(client, LEAVE, {"id": meal}, guest)
    offer = (await gql(client, OFFER, {"id": meal}, first))["data"]["mySeatOffer"]
    left = datetime.fromisoformat(offer["expiresAt"]) - datetime.now(UTC)
    assert timedelta(minutes=14) < left <= timedelta(minutes=15)  # half the time left


async def offered(client, hours: float, local_hour: int) -> tuple[str, str, datetime, str]:
    """A seat offered now at a meal `hours` away, where it is `local_hour` o'clock: (meal, the
    offered diner, when the offer lapses, the seat_offered text)."""
    _, meal, guest, (first,) = await a_full_table_with_a_queue(client, 1, hours, local_hour)
    await gql(client, LEAVE, {"id": meal}, guest)
    offer = (await gql(client, OFFER, {"id": meal}, first))["data"]["mySeatOffer"]
    note = (await gql(client, NOTES, token=first))["data"]["notifications"]["edges"][0]["node"]
    assert note["kind"] == "seat_offered"
    return meal, first, datetime.fromisoformat(offer["expiresAt"]), note["message"]


async def test_offer_windows_follow_the_meal_and_the_restaurants_night(client, services):
    minute = timedelta(minutes=1)
    # Daytime, the meal two days away: a few hours (4), and the text says until when.
    meal, first, expires, text = await offered(client, 48, local_hour=13)
    zone = zone_where_it_is(13)
    assert timedelta(hours=4) - minute < expires - datetime.now(UTC) <= timedelta(hours=4)
    assert f"请在 {local_text(expires, zone)} 前接受" in text
    # The lapse job says when it lapsed; nobody else waits, so the seat goes back.
    lapsed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    await SeatOffer.filter(meal_id=decode(meal, "SharedMeal", "m")).update(expires_at=lapsed_at)
    assert await run_job(services, LAPSE) >= 1
    note = (await gql(client, NOTES, token=first))["data"]["notifications"]["edges"][0]["node"]
    assert (note["kind"], note["message"]) == (
        "offer_lapsed",
        f"「周五火锅局」的空位邀请已于 {local_text(lapsed_at, zone)} 过期",
    )
    assert (await gql(client, MEAL, {"id": meal}, first))["data"]["sharedMeal"]["seatsTaken"] == 1
    # Made at night (23:xx local): it lasts until 10:00 the next morning.
    for made_at in (23, 3):
        zone = zone_where_it_is(made_at)
        local_now = datetime.now(UTC).astimezone(ZoneInfo(zone))
        morning = local_now.date() + timedelta(days=1 if made_at == 23 else 0)
        _, _, expires, text = await offered(client, 48, local_hour=made_at)
        assert expires == datetime.combine(morning, time(10), ZoneInfo(zone)), made_at
        assert f"{local_text(expires, zone)}" in text and local_text(expires, zone).endswith("10:00")
    # Made in the evening (20:xx): four hours would end in the night, so it runs to 10:00 too.
    zone = zone_where_it_is(20)
    tomorrow = datetime.now(UTC).astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    _, _, expires, _ = await offered(client, 48, local_hour=20)
    assert expires == datetime.combine(tomorrow, time(10), ZoneInfo(zone))
    # Never past an hour before the meal: at night for a breakfast meal ten hours away.
    before = datetime.now(UTC)
    _, _, expires, _ = await offered(client, 10, local_hour=23)
    starts = before + timedelta(hours=10)
    assert starts - timedelta(hours=1) - minute < expires <= starts - timedelta(hours=1) + minute
    # A meal within three hours: 30 minutes, day or night.
    for hour in (13, 23):
        _, _, expires, _ = await offered(client, 2.5, local_hour=hour)
        assert timedelta(minutes=29) < expires - datetime.now(UTC) <= timedelta(minutes=30)


async def test_racing_answers_and_lapses_move_each_offer_once(client, services):
    tables = [await a_full_table_with_a_queue(client, 2) for _ in range(6)]
    for _, meal, guest, _ in tables:
        await gql(client, LEAVE, {"id": meal}, guest)
    # Half the offers are answered by many parallel accepts and declines; the other half lapse
    # while two job runs and the diners' own late accepts race.
    answered, lapsing = tables[:3], tables[3:]
    meal_ids = [meal for _, meal, _, _ in lapsing]
    await SeatOffer.filter(meal_id__in=[decode(m, "SharedMeal", "m") for m in meal_ids]).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    calls = []
    for _, meal, _, (first, _) in answered:
        calls += [gql(client, ANSWER, {"id": meal, "a": i % 2 == 0}, first) for i in range(6)]
    for _, meal, _, (first, _) in lapsing:
        calls += [gql(client, ANSWER, {"id": meal, "a": True}, first) for _ in range(3)]
    results = await asyncio.gather(*calls, run_job(services, LAPSE), run_job(services, LAPSE))
    wins = [r for r in results[:-2] if not r["data"]["answerSeatOffer"]["errors"]]
    assert len(wins) == len(answered)  # one answer per answered offer, none for lapsed ones
    assert results[-2] + results[-1] == len(lapsing)  # each lapse happened once
    for host, meal, _, (first, second) in tables:
        state = (await gql(client, MEAL, {"id": meal}, host))["data"]["sharedMeal"]
        seated = sum(1 for g in state["guests"] if g["state"] in ("HOST", "JOINED"))
        waiting = await gql(
            client, "query($id: ID!) { sharedMeal(id: $id) { waiting { state } } }", {"id": meal}, host
        )
        offered = sum(1 for w in waiting["data"]["sharedMeal"]["waiting"] if w["state"] == "OFFERED")
        assert state["seatsTaken"] == seated + offered == 2, state
        pair = (await status(client, meal, first), await status(client, meal, second))
        assert pair in {("JOINED", "WAITLISTED"), ("LEFT", "OFFERED")}, pair
        kinds = [
            n["node"]["kind"]
            for n in (await gql(client, NOTES, token=second))["data"]["notifications"]["edges"]
        ]
        assert kinds.count("seat_offered") == (pair[1] == "OFFERED")


async def test_a_cancelled_meal_takes_its_open_offer_with_it(client):
    host, meal, guest, (first,) = await a_full_table_with_a_queue(client, 1)
    await gql(client, LEAVE, {"id": meal}, guest)
    assert (await gql(client, OFFER, {"id": meal}, first))["data"]["mySeatOffer"] is not None
    cancel = "mutation($id: ID!) { cancelSharedMeal(mealId: $id) { errors { code } } }"
    assert (await gql(client, cancel, {"id": meal}, host))["data"]["cancelSharedMeal"]["errors"] == []
    assert (await gql(client, OFFER, {"id": meal}, first))["data"]["mySeatOffer"] is None


PLACES = "query($id: ID!) { sharedMeal(id: $id) { waitlistPositionByMe } }"


async def test_a_diner_in_line_sees_their_place_in_it(client):
    """候补第 N 位, as events show it: 1 + those waiting ahead, in the order seats are offered;
    null for the host, a guest, the diner offered a seat, and when signed out."""
    host, meal, guest, (first, second, third) = await a_full_table_with_a_queue(client, 3)

    async def place(token):
        body = await gql(client, PLACES, {"id": meal}, token)
        return body["data"]["sharedMeal"]["waitlistPositionByMe"]

    assert [await place(t) for t in (host, guest, first, second, third, None)] == [None, None, 1, 2, 3, None]
    assert (await gql(client, LEAVE, {"id": meal}, second))["data"]["leaveSharedMeal"]["errors"] == []
    assert [await place(t) for t in (first, second, third)] == [1, None, 2]
    assert (await gql(client, LEAVE, {"id": meal}, guest))["data"]["leaveSharedMeal"]["errors"] == []
    assert (await status(client, meal, first), await place(first), await place(third)) == ("OFFERED", None, 1)
