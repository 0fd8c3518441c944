"""Counters agree with the rows they count, under parallel requests and account deletion (issue 20, 3-5).

Every race here is a burst of requests through the endpoint (asyncio.gather); the assertions
are the invariants a diner can see: a rating equals its only review, a freed seat never sits
beside a waitlist, one request wins where only one may.
"""

from __future__ import annotations

import asyncio
import random

from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.test_meals import (
    ANSWER,
    CANCEL,
    EVENT,
    JOIN,
    LEAVE,
    MEAL,
    NOTES,
    REMOVE,
    RESERVE,
    RSVP,
    WAITING,
    host_meal,
    later,
)
from tests.test_moderation import MODERATE, REPORT
from tests.test_personal_data import cli

REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }"
EDIT = "mutation($id: ID!, $r: Int!) { updateReview(reviewId: $id, input: {rating: $r}) { review { rating } errors { code } } }"
DISH = "query($id: ID!) { dish(id: $id) { reviewCount averageRating } }"
USER = "query($id: ID!) { node(id: $id) { ... on User { followersCount followingCount followers { edges { node { id } } } following { edges { node { id } } } } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
EVENT_NODE = "query($id: ID!) { node(id: $id) { ... on RestaurantEvent { seatsTaken seatsLeft } } }"


def errors(body, field: str) -> list[str]:
    return [e["code"] for e in body["data"][field]["errors"]]


async def test_parallel_edits_of_one_review_keep_the_dish_rating(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 3}}, author))["data"][
        "createReview"
    ]["review"]["id"]
    ratings = [random.randint(1, 5) for _ in range(20)]
    await asyncio.gather(*(gql(client, EDIT, {"id": review, "r": r}, author) for r in ratings))
    final = (
        await gql(client, "query($id: ID!) { node(id: $id) { ... on Review { rating } } }", {"id": review})
    )["data"]["node"]["rating"]
    assert (await gql(client, DISH, {"id": dish}))["data"]["dish"] == {
        "reviewCount": 1,
        "averageRating": float(final),
    }


async def test_parallel_edits_and_moderation_keep_the_dish_rating(client, services):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, _, _ = await register(client)
    review = (await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 3}}, author))["data"][
        "createReview"
    ]["review"]["id"]
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    report = (await gql(client, REPORT, {"t": review, "r": "SPAM"}, reporter))["data"]["reportContent"][
        "report"
    ]
    actions = ["HIDE_CONTENT", "RESTORE_CONTENT"] * 3
    await asyncio.gather(
        *(gql(client, EDIT, {"id": review, "r": random.randint(1, 5)}, author) for _ in range(10)),
        *(gql(client, MODERATE, {"r": report["id"], "a": a}, moderator) for a in actions),
    )
    await gql(client, MODERATE, {"r": report["id"], "a": "RESTORE_CONTENT"}, moderator)
    final = (
        await gql(client, "query($id: ID!) { node(id: $id) { ... on Review { rating } } }", {"id": review})
    )["data"]["node"]["rating"]
    assert (await gql(client, DISH, {"id": dish}))["data"]["dish"] == {
        "reviewCount": 1,
        "averageRating": float(final),
    }


async def test_delete_user_frees_seats_and_places_through_leaving(client, settings):
    host, _, meal, restaurant = await host_meal(client, capacity=2)
    leaving, _, email = await register(client)
    waiting, waiting_id, _ = await register(client)
    assert (await gql(client, JOIN, {"id": meal}, leaving))["data"]["joinSharedMeal"]["status"] == "JOINED"
    assert (await gql(client, JOIN, {"id": meal}, waiting))["data"]["joinSharedMeal"][
        "status"
    ] == "WAITLISTED"
    owner, _ = await open_restaurant(client, *random_spot())
    _, place = await open_restaurant(client, *random_spot(), owner_token=owner)
    event = (
        await gql(
            client,
            EVENT,
            {
                "i": {
                    "restaurantId": place,
                    "title": "品鉴会",
                    "startsAt": later(24),
                    "endsAt": later(26),
                    "capacity": 1,
                }
            },
            owner,
        )
    )["data"]["createRestaurantEvent"]["event"]["id"]
    assert errors(await gql(client, RSVP, {"id": event}, leaving), "rsvpEvent") == []

    deleted = await cli(settings, "delete-user", "--email", email, "--yes")
    assert deleted.returncode == 0, deleted.stderr

    # The freed seat is held for the first waitlisted diner as an offer (issue 16): theirs on accepting.
    state = (await gql(client, MEAL, {"id": meal}, waiting))["data"]["sharedMeal"]
    assert (state["seatsTaken"], state["waitlistCount"], state["myStatus"]) == (2, 0, "OFFERED")
    kinds = [
        e["node"]["kind"] for e in (await gql(client, NOTES, token=waiting))["data"]["notifications"]["edges"]
    ]
    assert "seat_offered" in kinds
    accept = "mutation($id: ID!) { answerSeatOffer(mealId: $id, accept: true) { errors { code } } }"
    assert (await gql(client, accept, {"id": meal}, waiting))["data"]["answerSeatOffer"]["errors"] == []
    state = (await gql(client, MEAL, {"id": meal}, host))["data"]["sharedMeal"]
    assert {(g["state"], g["user"]["id"]) for g in state["guests"] if g["state"] != "HOST"} == {
        ("JOINED", waiting_id)
    }
    assert (await gql(client, EVENT_NODE, {"id": event}))["data"]["node"] == {"seatsTaken": 0, "seatsLeft": 1}
    assert errors(await gql(client, RSVP, {"id": event}, waiting), "rsvpEvent") == []


async def test_follower_counts_agree_with_lists_when_a_follower_is_suspended(client, services):
    star, star_id, _ = await register(client)
    fan, fan_id, _ = await register(client)
    other, _, _ = await register(client)
    await gql(client, FOLLOW, {"u": star_id}, fan)
    await gql(client, FOLLOW, {"u": star_id}, other)
    await gql(client, FOLLOW, {"u": fan_id}, star)
    moderator, _ = await account_with_role(client, services)
    report = (await gql(client, REPORT, {"t": fan_id, "r": "SCAM"}, other))["data"]["reportContent"]["report"]
    await gql(client, MODERATE, {"r": report["id"], "a": "SUSPEND_USER", "d": 3}, moderator)
    for viewer in (None, other, star):
        user = (await gql(client, USER, {"id": star_id}, viewer))["data"]["node"]
        assert user["followersCount"] == len(user["followers"]["edges"]) == 1
        assert user["followingCount"] == len(user["following"]["edges"]) == 0


async def test_join_leave_race_never_leaves_a_free_seat_beside_the_waitlist(client):
    rounds = []
    for _ in range(8):
        host, _, meal, _ = await host_meal(client, capacity=2)
        seated, _, _ = await register(client)
        await gql(client, JOIN, {"id": meal}, seated)
        rounds.append((host, meal, seated, (await register(client))[0]))
    await asyncio.gather(
        *(
            call
            for _, meal, seated, late in rounds
            for call in (gql(client, LEAVE, {"id": meal}, seated), gql(client, JOIN, {"id": meal}, late))
        )
    )
    for host, meal, _, _ in rounds:
        state = (await gql(client, MEAL, {"id": meal}, host))["data"]["sharedMeal"]
        seated = sum(1 for g in state["guests"] if g["state"] in ("HOST", "JOINED"))
        # A late joiner who found the table full holds the freed seat as an offer (issue 16).
        offered = sum(
            1
            for w in (await gql(client, WAITING, {"id": meal}, host))["data"]["sharedMeal"]["waiting"]
            if w["state"] == "OFFERED"
        )
        assert (state["seatsTaken"], seated + offered, state["waitlistCount"]) == (2, 2, 0), state


async def test_leave_or_remove_on_a_cancelled_meal_promotes_nobody(client):
    host, _, meal, _ = await host_meal(client, capacity=3)
    a, _, _ = await register(client)
    b, b_id, _ = await register(client)
    waiting, _, _ = await register(client)
    for token in (a, b, waiting):
        await gql(client, JOIN, {"id": meal}, token)
    assert errors(await gql(client, CANCEL, {"id": meal}, host), "cancelSharedMeal") == []
    assert errors(await gql(client, LEAVE, {"id": meal}, a), "leaveSharedMeal") == ["CANCELLED"]
    assert errors(await gql(client, REMOVE, {"m": meal, "u": b_id}, host), "removeMealGuest") == ["CANCELLED"]
    kinds = [
        e["node"]["kind"] for e in (await gql(client, NOTES, token=waiting))["data"]["notifications"]["edges"]
    ]
    assert kinds == ["meal_cancelled"]


async def test_parallel_cancellations_notify_each_guest_once(client):
    host, _, meal, _ = await host_meal(client, capacity=3)
    guest, _, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, guest)
    results = await asyncio.gather(*(gql(client, CANCEL, {"id": meal}, host) for _ in range(5)))
    assert sorted(c for r in results for c in errors(r, "cancelSharedMeal")) == ["CANCELLED"] * 4
    kinds = [
        e["node"]["kind"] for e in (await gql(client, NOTES, token=guest))["data"]["notifications"]["edges"]
    ]
    assert kinds == ["meal_cancelled"]


async def test_parallel_reservation_requests_make_one_request(client):
    host, _, meal, _ = await host_meal(client)
    results = await asyncio.gather(*(gql(client, RESERVE, {"id": meal}, host) for _ in range(6)))
    codes = [errors(r, "requestReservation") for r in results]
    assert codes.count([]) == 1 and codes.count(["DUPLICATE"]) == 5


async def test_parallel_approvals_take_one_seat(client):
    host, _, meal, _ = await host_meal(client, capacity=3, approvalRequired=True)
    asking, asking_id, _ = await register(client)
    await gql(client, JOIN, {"id": meal}, asking)
    results = await asyncio.gather(
        *(gql(client, ANSWER, {"m": meal, "u": asking_id, "a": True}, host) for _ in range(5))
    )
    codes = [errors(r, "answerJoinRequest") for r in results]
    assert codes.count([]) == 1 and codes.count(["NOT_FOUND"]) == 4
    state = (await gql(client, MEAL, {"id": meal}, host))["data"]["sharedMeal"]
    assert state["seatsTaken"] == 2


async def test_parallel_rsvps_of_one_diner_take_one_place(client):
    owner, place = await open_restaurant(client, *random_spot())
    event = (
        await gql(
            client,
            EVENT,
            {
                "i": {
                    "restaurantId": place,
                    "title": "品鉴会",
                    "startsAt": later(24),
                    "endsAt": later(26),
                    "capacity": 5,
                }
            },
            owner,
        )
    )["data"]["createRestaurantEvent"]["event"]["id"]
    diner, _, _ = await register(client)
    await asyncio.gather(*(gql(client, RSVP, {"id": event}, diner) for _ in range(6)))
    await gql(
        client,
        "mutation($id: ID!) { cancelEventRsvp(eventId: $id) { errors { code } } }",
        {"id": event},
        diner,
    )
    await asyncio.gather(*(gql(client, RSVP, {"id": event}, diner) for _ in range(6)))
    assert (await gql(client, EVENT_NODE, {"id": event}))["data"]["node"] == {"seatsTaken": 1, "seatsLeft": 4}
