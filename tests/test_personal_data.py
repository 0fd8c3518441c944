"""export-user and delete-user: a person's own data out, and gone, with aggregates kept right."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import fetch, upload_photo
from tests.servers import ROOT, server_env

REVIEW = "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } errors { code } } }"
DISH = "query($id: ID!) { dish(id: $id) { reviewCount averageRating } }"
INSIGHTS = """
query($r: ID!, $f: DateTime!, $t: DateTime!) { restaurantInsights(restaurantId: $r, from: $f, to: $t) {
  funnel { claims redemptions } averageTicketCents customers } }
"""


async def cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = server_env(settings, settings.redis_url)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "app.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_export_then_delete_keeps_aggregates(client, settings):
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    leaving, leaving_id, email = await register(client, name="要走的人")
    staying, _, _ = await register(client)
    photo = await upload_photo(client, leaving)
    await gql(
        client,
        REVIEW,
        {"i": {"dishId": dish, "rating": 1, "body": "难吃", "photoIds": [photo["id"]]}},
        leaving,
    )
    await gql(client, REVIEW, {"i": {"dishId": dish, "rating": 5, "body": "好吃"}}, staying)
    now = datetime.now(UTC)
    deal = await gql(
        client,
        "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } } }",
        {
            "i": {
                "restaurantId": restaurant,
                "title": "券",
                "priceCents": 0,
                "originalPriceCents": 100,
                "quantity": 5,
                "startsAt": now.isoformat(),
                "endsAt": (now + timedelta(days=1)).isoformat(),
            }
        },
        owner,
    )
    claim = await gql(
        client,
        'mutation($d: ID!) { claimDeal(dealId: $d, idempotencyKey: "x") { claim { code } } }',
        {"d": deal["data"]["createDeal"]["deal"]["id"]},
        leaving,
    )
    await gql(
        client,
        "mutation($c: String!) { redeemVoucher(code: $c, billCents: 8800) { errors { code } } }",
        {"c": claim["data"]["claimDeal"]["claim"]["code"]},
        owner,
    )

    exported = await cli(settings, "export-user", "--email", email)
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["account"]["displayName"] == "要走的人" and data["account"]["email"] == email
    assert [(r["body"], r["dishName"], r["restaurantName"]) for r in data["reviews"]] == [("难吃", "毛肚", "重庆火锅")]
    # An order history a person can read: which deal, at which restaurant (not a deal id alone).
    assert [(c["billCents"], c["dealTitle"], c["restaurantName"]) for c in data["claims"]] == [(8800, "券", "重庆火锅")]

    refused = await cli(settings, "delete-user", "--email", email)
    assert refused.returncode == 2  # needs --yes
    deleted = await cli(settings, "delete-user", "--email", email, "--yes")
    assert deleted.returncode == 0, deleted.stderr

    assert (await gql(client, DISH, {"id": dish}))["data"]["dish"] == {"reviewCount": 1, "averageRating": 5.0}
    assert (await gql(client, "{ me { id } }", token=leaving))["data"]["me"] is None
    login = await gql(
        client,
        'mutation($e: String!) { login(email: $e, password: "correct horse battery") { errors { code } } }',
        {"e": email},
    )
    assert login["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": leaving_id}))["data"][
        "node"
    ] is None
    assert (await fetch(client, photo["url"])).status_code in (403, 404)
    window = {
        "r": restaurant,
        "f": (now - timedelta(days=1)).isoformat(),
        "t": (now + timedelta(days=1)).isoformat(),
    }
    insights = (await gql(client, INSIGHTS, window, owner))["data"]["restaurantInsights"]
    assert insights == {"funnel": {"claims": 1, "redemptions": 1}, "averageTicketCents": 8800, "customers": 1}
    gone = await cli(settings, "export-user", "--email", email)
    assert gone.returncode == 1


EXPORT = "{ exportMyData }"


async def test_export_my_data_holds_every_kind_of_activity_and_no_one_elses_email(client):
    """PIPL right of access: bookings, event places, messages sent, favourites, match requests,
    photos, blocks, meal ratings and the meals' titles are in the person's export; of the other
    people in it only a display name, never their email."""
    from strawberry.relay import GlobalID

    from models.tables import MealRating
    from tests.tables_helpers import at, book, open_slots
    from tests.test_conversations import OPEN, say
    from tests.test_matches import match

    def db_id(global_id: str) -> int:
        return int(GlobalID.from_id(global_id).node_id)

    owner, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    dish = await add_dish(client, owner, restaurant, name="水煮鱼")
    diner, diner_id, _ = await register(client, name="导出者")
    friend, friend_id, friend_email = await register(client, name="小波")
    asker, _, asker_email = await register(client, name="卡罗")
    _, pest_id, pest_email = await register(client, name="讨厌鬼")

    starts = at(48)
    await open_slots(client, owner, restaurant, (starts, 10))
    booked = await book(client, diner, restaurant, starts, party=3, note="靠窗")
    assert booked["errors"] == [], booked["errors"]

    event = await gql(
        client,
        """mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) {
          event { id } errors { code } } }""",
        {
            "i": {
                "restaurantId": restaurant,
                "title": "川菜品鉴会",
                "startsAt": at(24),
                "endsAt": at(27),
                "capacity": 5,
            }
        },
        owner,
    )
    event_id = event["data"]["createRestaurantEvent"]["event"]["id"]
    rsvp = "mutation($id: ID!) { rsvpEvent(eventId: $id) { errors { code } } }"
    assert (await gql(client, rsvp, {"id": event_id}, diner))["data"]["rsvpEvent"]["errors"] == []

    meal = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { code } } }",
        {"i": {"restaurantId": restaurant, "title": "周五火锅局", "startsAt": at(72), "capacity": 4}},
        diner,
    )
    meal_id = meal["data"]["createSharedMeal"]["meal"]["id"]
    await MealRating.create(meal_id=db_id(meal_id), rater_id=db_id(diner_id), thumbs_up=True, tags=["准时"])

    await match(client, diner, friend, friend_id)  # the diner sent this one; it was accepted
    conversation = (await gql(client, OPEN, {"u": friend_id}, diner))["data"]["openConversation"][
        "conversation"
    ]["id"]
    chat_photo = await upload_photo(client, diner)
    said = await say(client, diner, conversation, "周五见 🌶️", chat_photo["id"])
    assert said["errors"] == [], said["errors"]
    review_photo = await upload_photo(client, diner)
    await gql(
        client,
        REVIEW,
        {"i": {"dishId": dish, "rating": 4, "body": "够辣", "photoIds": [review_photo["id"]]}},
        diner,
    )

    save = "mutation($t: ID!) { saveFavourite(targetId: $t) { errors { code } } }"
    for target in (restaurant, dish, meal_id):
        assert (await gql(client, save, {"t": target}, diner))["data"]["saveFavourite"]["errors"] == []

    ask = 'mutation($u: ID!) { sendMatchRequest(userId: $u, message: "约饭吗") { errors { code } } }'
    assert (await gql(client, ask, {"u": diner_id}, asker))["data"]["sendMatchRequest"]["errors"] == []
    block = "mutation($u: ID!) { blockUser(userId: $u) { errors { code } } }"
    assert (await gql(client, block, {"u": pest_id}, diner))["data"]["blockUser"]["errors"] == []

    mine = (await gql(client, EXPORT, token=diner))["data"]["exportMyData"]

    [booking] = mine["bookings"]
    assert (booking["restaurantName"], booking["partySize"], booking["status"], booking["note"]) == (
        "川味小馆",
        3,
        "confirmed",
        "靠窗",
    )
    local = datetime.fromisoformat(booking["startsAt"])
    assert local == datetime.fromisoformat(starts) and local.utcoffset() == timedelta(
        hours=8
    )  # Asia/Shanghai

    [place] = mine["eventPlaces"]
    assert (place["title"], place["restaurantName"], place["going"]) == ("川菜品鉴会", "川味小馆", True)
    place_at = datetime.fromisoformat(place["startsAt"])
    assert place_at == datetime.fromisoformat(at(24)) and place_at.utcoffset() == timedelta(hours=8)  # as bookings

    [message] = mine["messagesSent"]
    assert message["conversationId"] == db_id(conversation) and message["body"] == "周五见 🌶️"
    assert message["photoId"] == db_id(chat_photo["id"]) and datetime.fromisoformat(message["sentAt"]).tzinfo

    [favourites] = mine["favouriteLists"]
    assert [(i["kind"], i["name"]) for i in favourites["items"]] == [
        ("restaurant", "川味小馆"),
        ("dish", "水煮鱼"),
        ("shared_meal", "周五火锅局"),
    ]

    requests = {
        (r["direction"], r["otherDisplayName"], r["status"], r["message"]) for r in mine["matchRequests"]
    }
    assert ("received", "卡罗", "pending", "约饭吗") in requests
    assert [r["direction"] for r in mine["matchRequests"] if r["otherDisplayName"] == "小波"] == ["sent"]

    photos = {p["id"]: p["inReview"] for p in mine["photos"]}
    assert photos == {db_id(chat_photo["id"]): False, db_id(review_photo["id"]): True}
    assert all(p["status"] and p["createdAt"] for p in mine["photos"])

    assert [b["blockedDisplayName"] for b in mine["blocks"]] == ["讨厌鬼"]

    [rating] = mine["mealRatings"]
    assert (rating["mealTitle"], rating["thumbsUp"], rating["tags"]) == ("周五火锅局", True, ["准时"])

    [hosted] = mine["meals"]
    assert (hosted["status"], hosted["title"], hosted["restaurantName"]) == ("host", "周五火锅局", "川味小馆")

    printed = json.dumps(mine, ensure_ascii=False)
    for email in (friend_email, asker_email, pest_email):
        assert email not in printed
    assert "lat" not in json.dumps({k: v for k, v in mine.items() if k != "account"})
