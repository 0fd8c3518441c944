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
    assert [r["body"] for r in data["reviews"]] == ["难吃"]
    assert [c["billCents"] for c in data["claims"]] == [8800]

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
