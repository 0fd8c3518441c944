"""Round 12 of shared meals, tables and events under real and hostile use, through the endpoint:
votes in a poll of a meal called off or begun, answers to table requests naming the argument
the client sent, what staff are told of a meal's table request, a proposal accepted too late.

Time passing is simulated in the database (the meal's start moved), as the other tables tests do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.meals import SharedMeal
from schema.ids import decode
from tests.helpers import gql, register
from tests.tables_helpers import at
from tests.test_meals import CANCEL
from tests.test_tables_polls import CREATE, VOTE, a_table

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
