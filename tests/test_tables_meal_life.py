"""The meal's life (issue 16): scheduled -> under way -> completed, no-shows, check-in (staff or
a voucher), private ratings, a guest's reliability shown to hosts; through the endpoint.

Time passing is simulated by moving the meal's start in the database (nothing else is faked)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.meals import SharedMeal
from resolvers.jobs import JOBS, run_job
from schema.ids import decode
from tests.helpers import gql, register
from tests.test_deals import REDEEM, a_deal, claim, code_of
from tests.test_meals import ANSWER, JOIN, LEAVE, REMOVE, host_meal

PHASE = "query($id: ID!) { sharedMeal(id: $id) { phase status seatsTaken waitlistCount myStatus } }"
CHECK_IN = "mutation($m: ID!, $u: ID!) { checkInGuest(mealId: $m, userId: $u) { meal { id } errors { field code } } }"
RATE = """
mutation($m: ID!, $t: Boolean!, $tags: [String!], $g: [GuestRatingInput!]) {
  rateMeal(mealId: $m, thumbsUp: $t, tags: $tags, guests: $g) { rated errors { field code } } }
"""
CANCEL = "mutation($id: ID!) { cancelSharedMeal(mealId: $id) { meal { status } errors { code } } }"
SEATS = "query($id: ID!) { sharedMeal(id: $id) { status seatsTaken myStatus guests { state } } }"
WAITING = (
    "query($id: ID!) { sharedMeal(id: $id) { waiting { state reliability { attended noShows rated } } } }"
)


async def started(meal: str, hours_ago: float) -> None:
    await SharedMeal.filter(id=decode(meal, "SharedMeal", "id")).update(
        starts_at=datetime.now(UTC) - timedelta(hours=hours_ago)
    )


async def records_seen_by_a_host(client, tokens) -> list[dict]:
    """The diners' reliability as a host deciding on their requests to join sees it, in order."""
    other_host, _, other_meal, _ = await host_meal(client, approvalRequired=True)
    for token in tokens:
        await gql(client, JOIN, {"id": other_meal}, token)
    seen = (await gql(client, WAITING, {"id": other_meal}, other_host))["data"]["sharedMeal"]["waiting"]
    return [w["reliability"] for w in seen]


async def phase(client, meal: str, token: str) -> dict:
    return (await gql(client, PHASE, {"id": meal}, token))["data"]["sharedMeal"]


async def test_leaving_after_the_start_is_a_no_show_and_promotes_nobody(client, services):
    host, _, meal, _ = await host_meal(client, capacity=2)
    guest, guest_id, _ = await register(client)
    waiting, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    assert (await gql(client, JOIN, {"id": meal}, waiting))["data"]["joinSharedMeal"][
        "status"
    ] == "WAITLISTED"
    assert (await phase(client, meal, host))["phase"] == "SCHEDULED"
    await started(meal, 0.5)
    assert (await phase(client, meal, host))["phase"] == "UNDER_WAY"
    left = (await gql(client, LEAVE, {"id": meal}, guest))["data"]["leaveSharedMeal"]
    # The seat is given back (seatsTaken counts the guests listed), yet nobody is promoted.
    assert left["errors"] == [] and left["meal"] == {"seatsTaken": 1, "waitlistCount": 1}
    assert (await phase(client, meal, guest))["myStatus"] == "NO_SHOW"
    assert (await phase(client, meal, waiting))["myStatus"] == "WAITLISTED"  # nobody promoted
    # The record follows the guest: the next host deciding on them sees it.
    other_host, _, other_meal, _ = await host_meal(client, approvalRequired=True)
    await gql(client, JOIN, {"id": other_meal}, guest)
    seen = (await gql(client, WAITING, {"id": other_meal}, other_host))["data"]["sharedMeal"]["waiting"]
    assert seen == [{"state": "PENDING", "reliability": {"attended": 0, "noShows": 1, "rated": 0}}]
    guests = await gql(
        client,
        "query($id: ID!) { sharedMeal(id: $id) { guests { reliability { noShows } } } }",
        {"id": other_meal},
        guest,
    )
    assert all(g["reliability"] is None for g in guests["data"]["sharedMeal"]["guests"])  # host only
    # The job writes COMPLETED once the meal's time is over; nothing moves on it after.
    await started(meal, 4)
    job = next(j for j in JOBS if j.name == "complete-meals")
    assert await run_job(services, job) >= 1
    done = await phase(client, meal, host)
    assert (done["phase"], done["status"]) == ("COMPLETED", "COMPLETED")
    late = (await gql(client, LEAVE, {"id": meal}, waiting))["data"]["leaveSharedMeal"]
    assert late["errors"][0]["code"] == "TOO_LATE"  # over, not cancelled
    over = (await gql(client, CANCEL, {"id": meal}, host))["data"]["cancelSharedMeal"]
    assert over["errors"][0]["code"] == "TOO_LATE"
    assert (await gql(client, ANSWER, {"m": meal, "u": guest_id, "a": True}, host))["data"][
        "answerJoinRequest"
    ]["errors"]


async def test_check_in_by_staff_or_voucher_then_private_ratings_once(client):
    owner, restaurant, deal = await a_deal(client)
    host, host_id, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, guest_id, _ = await register(client)
    stranger, stranger_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    early = (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"]
    assert early["errors"] == [{"field": "mealId", "code": "TOO_EARLY"}]
    await started(meal, 0.25)
    for token, user, code in ((guest, guest_id, "FORBIDDEN"), (owner, stranger_id, "NOT_JOINED")):
        body = (await gql(client, CHECK_IN, {"m": meal, "u": user}, token))["data"]["checkInGuest"]
        assert body["errors"][0]["code"] == code
    assert (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"][
        "errors"
    ] == []
    again = (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"]
    assert again["errors"][0]["code"] == "DUPLICATE"
    # The host redeems a voucher at this restaurant while the meal is under way: checked in.
    code = code_of(await claim(client, host, deal))
    assert (await gql(client, REDEEM, {"c": code}, owner))["data"]["redeemVoucher"]["errors"] == []
    # Ratings wait for the end; then once, only for seated guests, known tags only.
    early = (await gql(client, RATE, {"m": meal, "t": True}, guest))["data"]["rateMeal"]
    assert early["errors"] == [{"field": "mealId", "code": "TOO_EARLY"}]
    await started(meal, 4)
    bad = [
        ({"m": meal, "t": True}, stranger, "NOT_FOUND"),
        ({"m": meal, "t": True, "tags": ["delicious!!"]}, guest, "UNKNOWN_TAG"),
        ({"m": meal, "t": True, "g": [{"userId": stranger_id, "thumbsUp": True}]}, guest, "NOT_JOINED"),
        ({"m": meal, "t": True, "g": [{"userId": guest_id, "thumbsUp": True}]}, guest, "NOT_JOINED"),
    ]
    for variables, token, code in bad:
        assert (await gql(client, RATE, variables, token))["data"]["rateMeal"]["errors"][0]["code"] == code
    good = {
        "m": meal,
        "t": True,
        "tags": ["good_food"],
        "g": [{"userId": host_id, "thumbsUp": True, "tags": ["on_time", "great_company"]}],
    }
    assert (await gql(client, RATE, good, guest))["data"]["rateMeal"] == {"rated": True, "errors": []}
    assert (await gql(client, RATE, good | {"g": []}, guest))["data"]["rateMeal"]["errors"][0][
        "code"
    ] == "ALREADY_REVIEWED"
    tags = (await gql(client, "{ myReceivedTags { tag count } }", token=host))["data"]["myReceivedTags"]
    assert tags == [{"tag": "great_company", "count": 1}, {"tag": "on_time", "count": 1}]
    assert (await gql(client, "{ myReceivedTags { tag } }", token=guest))["data"]["myReceivedTags"] == []
    # Reliability counts: both attended (staff, voucher), the guest rated one meal.
    assert await records_seen_by_a_host(client, (guest, host)) == [
        {"attended": 1, "noShows": 0, "rated": 1},
        {"attended": 1, "noShows": 0, "rated": 0},
    ]


async def test_a_meal_check_in_verifies_the_guests_reviews_there(client):
    """Issue 15: a visit proven by a check-in (not only a redeemed voucher) verifies reviews."""
    from tests.helpers import add_dish
    from tests.test_reviews import review

    owner, restaurant, _ = await a_deal(client)
    _, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, guest_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    written = await review(client, guest, await add_dish(client, owner, restaurant))
    assert written["errors"] == []
    verified = "query($id: ID!) { node(id: $id) { ... on Review { verified verifiedAt } } }"
    before = (await gql(client, verified, {"id": written["review"]["id"]}, guest))["data"]["node"]
    assert before == {"verified": False, "verifiedAt": None}
    await started(meal, 0.25)
    assert (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"][
        "errors"
    ] == []
    after = (await gql(client, verified, {"id": written["review"]["id"]}, guest))["data"]["node"]
    assert after["verified"] is True and after["verifiedAt"] is not None


async def test_a_meal_under_way_keeps_its_record(client):
    """Once it started, the host can't cancel it (check-ins and no-shows would vanish) and a
    checked-in guest leaving early is not turned into a no-show."""
    owner, restaurant, _ = await a_deal(client)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, guest_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    await started(meal, 0.25)
    refused = (await gql(client, CANCEL, {"id": meal}, host))["data"]["cancelSharedMeal"]
    assert refused["errors"] == [{"code": "TOO_LATE"}]
    assert (await phase(client, meal, host))["status"] == "OPEN"
    body = (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"]
    assert body["errors"] == []
    left = (await gql(client, LEAVE, {"id": meal}, guest))["data"]["leaveSharedMeal"]
    assert left["errors"][0]["code"] == "TOO_LATE"
    assert (await phase(client, meal, guest))["myStatus"] == "JOINED"


async def test_a_guest_who_came_keeps_their_seat_and_an_over_meal_moves_nothing(client):
    """Checked in from an hour before the start: neither leaving nor the host's removal frees
    that seat; once the meal's time is over (before the job marks it) leaving is TOO_LATE."""
    owner, restaurant, _ = await a_deal(client)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    came, came_id, _ = await register(client)
    other, _, _ = await register(client)
    for token in (came, other):
        await gql(client, JOIN, {"id": meal}, token)
    await started(meal, -0.5)  # starts in half an hour: check-in is open
    assert (await gql(client, CHECK_IN, {"m": meal, "u": came_id}, owner))["data"]["checkInGuest"][
        "errors"
    ] == []
    left = (await gql(client, LEAVE, {"id": meal}, came))["data"]["leaveSharedMeal"]
    assert left["errors"][0]["code"] == "TOO_LATE"
    removed = (await gql(client, REMOVE, {"m": meal, "u": came_id}, host))["data"]["removeMealGuest"]
    assert removed["errors"][0]["code"] == "TOO_LATE"
    assert (await phase(client, meal, came))["myStatus"] == "JOINED"
    await started(meal, 3.5)  # over, not yet marked COMPLETED by the job
    late = (await gql(client, LEAVE, {"id": meal}, other))["data"]["leaveSharedMeal"]
    assert late["errors"][0]["code"] == "TOO_LATE"
    assert (await phase(client, meal, other))["myStatus"] == "JOINED"  # not turned into a no-show


async def test_guests_who_did_not_come_are_no_shows_once_the_meal_is_over(client, services):
    """Attendance counts where it was taken: at a meal where staff checked anyone in, a guest not
    checked in by the end is a no-show (NO_SHOW once the job runs; before, already unable to
    rate or be rated), not attended, and their seat is given back. A meal nobody was checked in
    at marks nobody."""
    from tests.helpers import open_restaurant, random_spot

    owner, restaurant = await open_restaurant(client, *random_spot())
    host, host_id, meal, _ = await host_meal(client, restaurant=restaurant)
    came, came_id, _ = await register(client)
    absent, absent_id, _ = await register(client)
    for token in (came, absent):
        await gql(client, JOIN, {"id": meal}, token)
    await started(meal, 0.5)
    assert (await gql(client, CHECK_IN, {"m": meal, "u": came_id}, owner))["data"]["checkInGuest"][
        "errors"
    ] == []
    await started(meal, 3.5)  # over, before the job marks it
    refused = (await gql(client, RATE, {"m": meal, "t": True}, absent))["data"]["rateMeal"]
    assert refused == {"rated": False, "errors": [{"field": "mealId", "code": "NOT_JOINED"}]}
    job = next(j for j in JOBS if j.name == "complete-meals")
    assert await run_job(services, job) >= 1
    done = (await gql(client, SEATS, {"id": meal}, absent))["data"]["sharedMeal"]
    assert (done["status"], done["myStatus"]) == ("COMPLETED", "NO_SHOW")
    assert done["seatsTaken"] == len(done["guests"]) == 2
    assert [g["state"] for g in done["guests"]] == ["HOST", "JOINED"]
    assert (await phase(client, meal, came))["myStatus"] == "JOINED"
    assert (await phase(client, meal, host))["myStatus"] == "HOST"  # the host is never marked
    # A no-show neither rates (the meal or anyone) nor is rated.
    for variables in (
        {"m": meal, "t": True},
        {"m": meal, "t": False, "g": [{"userId": host_id, "thumbsUp": False}]},
    ):
        body = (await gql(client, RATE, variables, absent))["data"]["rateMeal"]
        assert body["errors"] == [{"field": "mealId", "code": "NOT_JOINED"}]
    about_absent = {"m": meal, "t": True, "g": [{"userId": absent_id, "thumbsUp": False, "tags": ["late"]}]}
    assert (await gql(client, RATE, about_absent, host))["data"]["rateMeal"]["errors"] == [
        {"field": "guests.0.userId", "code": "NOT_JOINED"}
    ]
    good = {"m": meal, "t": True, "g": [{"userId": host_id, "thumbsUp": True}]}
    assert (await gql(client, RATE, good, came))["data"]["rateMeal"] == {"rated": True, "errors": []}
    # Their records, as a host deciding on them (and a restaurant's inbox) see them.
    assert await records_seen_by_a_host(client, (came, absent)) == [
        {"attended": 1, "noShows": 0, "rated": 1},
        {"attended": 0, "noShows": 1, "rated": 0},
    ]
    # Nobody checked in at all (the restaurant doesn't take attendance): nobody is marked.
    _, _, quiet, _ = await host_meal(client, restaurant=restaurant)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": quiet}, guest)
    await started(quiet, 4)
    assert await run_job(services, job) >= 1
    assert (await phase(client, quiet, guest))["myStatus"] == "JOINED"
    assert (await gql(client, RATE, {"m": quiet, "t": True}, guest))["data"]["rateMeal"]["errors"] == []


async def test_a_check_in_racing_a_leave_or_removal_ends_with_one_of_them(client):
    """Staff check a guest in at the moment the guest leaves (or the host removes them): both
    take the meal's row lock, so either the check-in stands (the leave is TOO_LATE) or the guest
    is gone (the check-in is NOT_JOINED); never a guest who came recorded as gone, their seat
    handed to the waitlist."""
    import asyncio

    from models.meals import MealSeat
    from models.tables import MealCheckIn
    from tests.helpers import open_restaurant, random_spot

    for round_ in range(6):
        owner, restaurant = await open_restaurant(client, *random_spot())
        host, _, meal, _ = await host_meal(client, capacity=2, restaurant=restaurant)
        guest, guest_id, _ = await register(client)
        await gql(client, JOIN, {"id": meal}, guest)
        await gql(client, JOIN, {"id": meal}, (await register(client))[0])  # waitlisted
        pk, user = decode(meal, "SharedMeal", "id"), decode(guest_id, "User", "id")
        await SharedMeal.filter(id=pk).update(starts_at=datetime.now(UTC) + timedelta(minutes=30))
        check_in = gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner)
        goes = (
            gql(client, LEAVE, {"id": meal}, guest)
            if round_ % 2 == 0
            else gql(client, REMOVE, {"m": meal, "u": guest_id}, host)
        )
        answers = await asyncio.gather(check_in, goes)
        came = await MealCheckIn.exists(meal_id=pk, user_id=user)
        seat = await MealSeat.get(meal_id=pk, user_id=user)
        errors = [next(iter(a["data"].values()))["errors"] for a in answers]
        assert sorted(len(e) for e in errors) == [0, 1], answers
        if came:
            assert seat.status.value == "joined" and errors[1][0]["code"] == "TOO_LATE", answers
        else:
            assert seat.status.value in ("left", "removed") and errors[0][0]["code"] == "NOT_JOINED"


async def test_a_voucher_check_in_alone_takes_no_roll_call(client, services):
    """A guest paying with a voucher at the till is checked in automatically; that proves they
    came, but staff took no attendance, so the other guests are not marked no-shows."""
    owner, restaurant, deal = await a_deal(client)
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    payer, _, _ = await register(client)
    quiet, _, _ = await register(client)
    for token in (payer, quiet):
        await gql(client, JOIN, {"id": meal}, token)
    await started(meal, 0.5)
    code = code_of(await claim(client, payer, deal))
    assert (await gql(client, REDEEM, {"c": code}, owner))["data"]["redeemVoucher"]["errors"] == []
    await started(meal, 3.5)
    job = next(j for j in JOBS if j.name == "complete-meals")
    assert await run_job(services, job) >= 1
    for token in (payer, quiet):
        assert (await phase(client, meal, token))["myStatus"] == "JOINED"
    assert (await gql(client, RATE, {"m": meal, "t": True}, quiet))["data"]["rateMeal"]["errors"] == []


async def test_a_guest_who_came_and_then_deleted_their_account_leaves_no_phantom_seat(client):
    """Leaving can't free a checked-in guest's seat (they came), so account deletion takes the
    seat with the row: seatsTaken stays the guests listed."""
    from tests.helpers import open_restaurant, random_spot

    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    guest, guest_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    await started(meal, 0.5)
    assert (await gql(client, CHECK_IN, {"m": meal, "u": guest_id}, owner))["data"]["checkInGuest"]["errors"] == []
    erase = "mutation($p: String!) { deleteMyAccount(password: $p) { errors { code } } }"
    assert (await gql(client, erase, {"p": "correct horse battery"}, guest))["data"]["deleteMyAccount"]["errors"] == []
    seen = (await gql(client, SEATS, {"id": meal}, host))["data"]["sharedMeal"]
    assert seen["seatsTaken"] == len(seen["guests"]) == 1, seen


async def test_gone_during_the_meal_is_a_no_show_however_it_happens(client):
    """Once a meal is under way a guest who is not there is a no-show, whether they leave, the
    host removes them or they block the host: a removal or a block (then an unblock) must not
    wipe a no-show off someone's record. A guest checked in stays: they came."""
    from tests.helpers import open_restaurant, random_spot

    block = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
    unblock = "mutation($u: ID!) { unblockUser(userId: $u) { errors { code } } }"
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, host_id, meal, _ = await host_meal(client, restaurant=restaurant)
    came, came_id, _ = await register(client)
    removed, removed_id, _ = await register(client)
    blocker, _, _ = await register(client)
    for token in (came, removed, blocker):
        await gql(client, JOIN, {"id": meal}, token)
    await started(meal, 0.5)
    assert (await gql(client, CHECK_IN, {"m": meal, "u": came_id}, owner))["data"]["checkInGuest"]["errors"] == []
    assert (await gql(client, REMOVE, {"m": meal, "u": removed_id}, host))["data"]["removeMealGuest"]["errors"] == []
    await gql(client, block, {"u": host_id}, blocker)
    await gql(client, unblock, {"u": host_id}, blocker)
    assert (await phase(client, meal, removed))["myStatus"] == "NO_SHOW"
    assert (await phase(client, meal, blocker))["myStatus"] == "NO_SHOW"
    took_off = (await gql(client, REMOVE, {"m": meal, "u": came_id}, host))["data"]["removeMealGuest"]
    assert took_off["errors"] == [{"code": "TOO_LATE"}]
    assert (await phase(client, meal, came))["myStatus"] == "JOINED"
    seen = (await gql(client, SEATS, {"id": meal}, host))["data"]["sharedMeal"]
    assert seen["seatsTaken"] == len(seen["guests"]) == 2
