"""Access hardening: a document can't outlive its viewer's sign-out or erasure, a dish of a
restaurant taken down takes no review, and a moderator can't open a private message by
reporting it themselves. Everything through the endpoint, as hostile clients would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import User
from resolvers.accounts.personal_data import DELETED_NAME
from schema.ids import decode
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register

PASSWORD = "correct horse battery"
REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { field code } } }"
DISH = "query($d: ID!) { dish(id: $d) { reviewCount reviews { totalCount } } }"
REPORT = (
    "mutation($t: ID!) { reportContent(targetId: $t, reason: SPAM) { report { id } errors { field code } } }"
)
MODERATE = (
    "mutation($r: ID!, $a: ModerationAction!) { moderate(reportId: $r, action: $a) { errors { code } } }"
)
MESSAGE = "query($i: ID!) { node(id: $i) { ... on Message { body } } }"


def auth_codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


async def test_mutations_after_deleting_the_account_in_the_same_document_run_anonymous(client):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    token, user_id, _ = await register(client)
    body = await gql(
        client,
        """mutation($d: ID!, $p: String!) {
          deleteMyAccount(password: $p) { errors { code } }
          createReview(input: {dishId: $d, rating: 1, body: "written after erasure"}) { errors { code } }
          updateProfile(input: {displayName: "back again"}) { errors { code } } }""",
        {"d": dish, "p": PASSWORD},
        token,
        expect_errors=True,
    )
    assert auth_codes(body) == ["UNAUTHENTICATED"]
    counts = (await gql(client, DISH, {"d": dish}))["data"]["dish"]
    assert counts == {"reviewCount": 0, "reviews": {"totalCount": 0}}
    # The erased account kept its erased name (nothing wrote its profile back).
    row = await User.get(id=decode(user_id, "User", "id"))
    assert row.display_name == DELETED_NAME


async def test_mutations_after_signing_out_in_the_same_document_run_anonymous(client):
    for sign_out in ("logout", "logoutEverywhere"):
        token, _, _ = await register(client, name="旧名")
        body = await gql(
            client,
            "mutation { "
            + sign_out
            + ' { errors { code } } updateProfile(input: {displayName: "新名"}) { errors { code } } }',
            token=token,
            expect_errors=True,
        )
        assert auth_codes(body) == ["UNAUTHENTICATED"], sign_out
        assert (await gql(client, "{ me { id } }", token=token))["data"]["me"] is None


async def test_a_dish_of_a_restaurant_taken_down_takes_no_review(client, services):
    moderator, _ = await account_with_role(client, services)
    reporter, _, _ = await register(client)
    diner, _, _ = await register(client)
    owner, removed = await open_restaurant(client, *random_spot())
    removed_dish = await add_dish(client, owner, removed)
    report = (await gql(client, REPORT, {"t": removed}, reporter))["data"]["reportContent"]["report"]
    done = await gql(client, MODERATE, {"r": report["id"], "a": "REMOVE_CONTENT"}, moderator)
    assert done["data"]["moderate"]["errors"] == []
    owner2, archived = await open_restaurant(client, *random_spot())
    archived_dish = await add_dish(client, owner2, archived)
    await gql(
        client,
        "mutation($r: ID!) { archiveRestaurant(restaurantId: $r) { errors { code } } }",
        {"r": archived},
        owner2,
    )
    for dish in (removed_dish, archived_dish):
        body = await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "still here?"}}, diner)
        assert body["data"]["createReview"] == {
            "review": None,
            "errors": [{"field": "dishId", "code": "NOT_FOUND"}],
        }


async def test_a_moderator_cannot_open_a_private_message_by_reporting_it(client, services):
    _, restaurant = await open_restaurant(client, *random_spot())
    host, _, _ = await register(client)
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    meal = (
        await gql(
            client,
            "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } } }",
            {"i": {"restaurantId": restaurant, "title": "局", "startsAt": starts, "capacity": 4}},
            host,
        )
    )["data"]["createSharedMeal"]["meal"]["id"]
    group = (await gql(client, "query($m: ID!) { mealConversation(mealId: $m) { id } }", {"m": meal}, host))[
        "data"
    ]["mealConversation"]["id"]
    sent = await gql(
        client,
        'mutation($c: ID!) { sendMessage(conversationId: $c, body: "只给桌友看") { message { id } } }',
        {"c": group},
        host,
    )
    message = sent["data"]["sendMessage"]["message"]["id"]
    moderator, _ = await account_with_role(client, services)
    tried = await gql(client, REPORT, {"t": message}, moderator)
    assert tried["data"]["reportContent"] == {
        "report": None,
        "errors": [{"field": "targetId", "code": "NOT_FOUND"}],
    }
    assert (await gql(client, MESSAGE, {"i": message}, moderator))["data"]["node"] is None
    # Reported by a member, it opens to moderators as before.
    guest, _, _ = await register(client)
    await gql(
        client, "mutation($m: ID!) { joinSharedMeal(mealId: $m) { errors { code } } }", {"m": meal}, guest
    )
    member_report = await gql(client, REPORT, {"t": message}, guest)
    assert member_report["data"]["reportContent"]["errors"] == []
    assert (await gql(client, MESSAGE, {"i": message}, moderator))["data"]["node"] == {"body": "只给桌友看"}
