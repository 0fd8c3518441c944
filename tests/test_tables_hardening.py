"""Tables and meals under hostile or careless use: the meal's group chat follows every way a seat
changes, a booking gives back the seats it holds however requests race, a cancelled meal's table
request can't be confirmed, and what staff and diners read of each other is visible text.

Through the endpoint; time passing is simulated by moving the meal's start in the database."""

from __future__ import annotations

import asyncio

from tests.helpers import gql, open_restaurant, random_spot, register
from tests.tables_helpers import ANSWER, BOOK, CANCEL, PROPOSAL, SLOT_LIST, at, book, open_slots
from tests.test_meals import CANCEL as CANCEL_MEAL
from tests.test_meals import CONFIRM, JOIN, LEAVE, REMOVE, RESERVE, host_meal
from tests.test_tables_meal_life import started
from tests.test_tables_offers import ANSWER as ANSWER_OFFER
from tests.test_tables_offers import a_full_table_with_a_queue

MEAL_CHAT = "query($m: ID!) { mealConversation(mealId: $m) { id } }"
SEND = "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { message { id } errors { field code } } }"
READ = """query($c: ID!) { node(id: $c) { ... on Conversation { active
  messages(first: 10) { edges { node { body } } } } } }"""
INBOX_BADGE = "{ unreadMessageCount conversations { edges { node { id } } } }"


async def chat_of(client, meal: str, token: str) -> str:
    return (await gql(client, MEAL_CHAT, {"m": meal}, token))["data"]["mealConversation"]["id"]


async def say(client, chat: str, token: str, body: str) -> list[dict]:
    return (await gql(client, SEND, {"c": chat, "b": body}, token))["data"]["sendMessage"]["errors"]


async def test_a_guest_gone_once_the_meal_began_leaves_its_chat(client):
    """Removed by the host, or leaving, after the start (a no-show): like a guest who left before,
    they keep what was said, read nothing newer and can no longer post."""
    host, _, meal, _ = await host_meal(client, capacity=4)
    removed, removed_id, _ = await register(client)
    leaver, _, _ = await register(client)
    for token in (removed, leaver):
        await gql(client, JOIN, {"id": meal}, token)
    chat = await chat_of(client, meal, host)
    assert await say(client, chat, host, "七点见") == []
    await started(meal, 0.5)
    gone = (await gql(client, REMOVE, {"m": meal, "u": removed_id}, host))["data"]["removeMealGuest"]
    assert gone["errors"] == []
    assert (await gql(client, LEAVE, {"id": meal}, leaver))["data"]["leaveSharedMeal"]["errors"] == []
    assert await say(client, chat, host, "人齐了吗") == []
    for token in (removed, leaver):
        assert await say(client, chat, token, "我还在") == [{"field": "conversationId", "code": "FORBIDDEN"}]
        seen = (await gql(client, READ, {"c": chat}, token))["data"]["node"]
        assert seen["active"] is False
        assert [e["node"]["body"] for e in seen["messages"]["edges"]] == ["七点见"]


async def test_an_accepted_seat_offer_joins_the_meals_chat(client):
    """A diner seated by accepting an offer is a member at once: the chat is listed and its
    messages count as unread, without anyone opening the meal's conversation first."""
    host, meal, guest, queue = await a_full_table_with_a_queue(client, 1)
    chat = await chat_of(client, meal, host)
    await gql(client, LEAVE, {"id": meal}, guest)
    accepted = (await gql(client, ANSWER_OFFER, {"id": meal, "a": True}, queue[0]))["data"]["answerSeatOffer"]
    assert accepted["errors"] == []
    assert await say(client, chat, host, "欢迎入座") == []
    badge = (await gql(client, INBOX_BADGE, token=queue[0]))["data"]
    assert badge["unreadMessageCount"] == 1
    assert [e["node"]["id"] for e in badge["conversations"]["edges"]] == [chat]


async def test_a_booking_gives_back_the_seats_it_holds_however_answers_race(client):
    """A cancellation racing the acceptance of a proposed time frees the seats the booking holds
    at that moment (the new slot once the move went through), never the old slot's again."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    first, second = at(30), at(32)
    await open_slots(client, owner, restaurant, (first, 20), (second, 20))
    # Someone else's party at the first time: its seats must stay counted whatever happens.
    other, _, _ = await register(client)
    assert (await book(client, other, restaurant, first, 3))["errors"] == []
    for _ in range(4):
        diner, _, _ = await register(client)
        booking = (await book(client, diner, restaurant, first, 2))["booking"]["id"]
        proposed = await gql(client, ANSWER, {"id": booking, "d": "PROPOSE", "p": second}, owner)
        assert proposed["data"]["answerReservationRequest"]["errors"] == []
        await asyncio.gather(
            gql(client, PROPOSAL, {"id": booking, "a": True}, diner),
            gql(client, CANCEL, {"b": booking}, diner),
        )
        # Whichever won, cancelling what is left ends the booking: nothing of it stays held.
        await gql(client, CANCEL, {"b": booking}, diner)
        slots = (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(29), "b": at(33)}))["data"]
        assert [s["seatsBooked"] for s in slots["bookingSlots"]] == [3, 0]


async def test_a_cancelled_meals_table_request_cannot_be_confirmed(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    assert (await gql(client, RESERVE, {"id": meal}, host))["data"]["requestReservation"]["errors"] == []
    assert (await gql(client, CANCEL_MEAL, {"id": meal}, host))["data"]["cancelSharedMeal"]["errors"] == []
    for query, variables, name in (
        (CONFIRM, {"id": meal, "c": True}, "answerReservation"),
        (ANSWER, {"id": meal, "d": "CONFIRM"}, "answerReservationRequest"),
    ):
        answered = (await gql(client, query, variables, owner))["data"][name]
        assert answered["errors"][0]["code"] == "CANCELLED", answered
    status = "query($id: ID!) { sharedMeal(id: $id) { reservationStatus } }"
    assert (await gql(client, status, {"id": meal}, host))["data"]["sharedMeal"][
        "reservationStatus"
    ] == "NONE"  # the request was withdrawn with the meal
    told = await gql(client, "{ notifications(first: 20) { edges { node { kind message } } } }", token=owner)
    withdrawn = [
        e["node"]
        for e in told["data"]["notifications"]["edges"]
        if e["node"]["kind"] == "reservation_withdrawn"
    ]
    assert len(withdrawn) == 1 and "已取消，订座请求已撤回" in withdrawn[0]["message"], told


async def test_booking_notes_and_decline_reasons_are_visible_text(client):
    """Staff read a booking's note, the diner reads a decline's reason: invisible and
    direction-changing characters are refused there as in every other text, and nothing is written."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    when = at(30)
    await open_slots(client, owner, restaurant, (when, 10))
    for note in ("\u202e靠窗", "靠\u200b窗", "\x07"):
        refused = (
            await gql(
                client,
                BOOK,
                {"i": {"restaurantId": restaurant, "startsAt": when, "partySize": 2, "note": note}},
                diner,
            )
        )["data"]["bookTable"]
        assert refused["booking"] is None and refused["errors"] == [
            {"field": "note", "code": "INVALID", "message": refused["errors"][0]["message"]}
        ]
    fine = await book(client, diner, restaurant, when, 2, note="靠窗\n有老人")
    assert fine["errors"] == []
    booking = fine["booking"]["id"]
    declined = (await gql(client, ANSWER, {"id": booking, "d": "DECLINE", "r": "满了\u202e"}, owner))["data"]
    assert declined["answerReservationRequest"]["errors"][0]["code"] == "INVALID"
    slots = (await gql(client, SLOT_LIST, {"r": restaurant, "a": at(29), "b": at(31)}))["data"][
        "bookingSlots"
    ]
    assert [s["seatsBooked"] for s in slots] == [2]  # only the good booking, still held
    host, _, meal, _ = await host_meal(client, restaurant=restaurant)
    await gql(client, RESERVE, {"id": meal}, host)
    declined = (await gql(client, ANSWER, {"id": meal, "d": "DECLINE", "r": "\u200b"}, owner))["data"]
    assert declined["answerReservationRequest"]["errors"][0]["code"] == "INVALID"
