"""The whole Tablemates story against a running server, step by step (README, "Walk-through").

    uv run python app.py serve &                       # any server: embedded or the compose one
    uv run python examples/walkthrough.py --url http://127.0.0.1:8000

Two diners find each other nearby and match, one hosts a shared meal the other joins, a restaurant
posts a deal, a diner shares it and the other claims it through the share link, staff redeem the
voucher, and the restaurant's insights credit the share link. Every account is new (random emails,
a random spot on the map), so it can run any number of times; all dates are computed from now.
Needs registrations allowed (RATE_LIMIT_REGISTRATIONS_PER_HOUR >= 3 from your address).
"""

from __future__ import annotations

import argparse
import random
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

PASSWORD = "walkthrough secret 2024"


class Client:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=30)

    def call(self, document: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = self.http.post("/graphql", json={"query": document, "variables": variables or {}}, headers=headers)
        result = body.json()
        if result.get("errors"):
            raise SystemExit(f"GraphQL error: {result['errors']}")
        (payload,) = result["data"].values()
        if isinstance(payload, dict) and payload.get("errors"):
            raise SystemExit(f"refused: {payload['errors']}")
        return payload


def step(text: str) -> None:
    print(f"\n== {text}")


def iso(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def register(api: Client, name: str, kind: str = "DINER") -> tuple[str, str]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    payload = api.call(
        "mutation($i: RegisterInput!) { register(input: $i) { token user { id } errors { field code message } } }",
        {"i": {"email": email, "password": PASSWORD, "displayName": name, "accountType": kind}},
    )
    print(f"   {name}: {email}")
    return payload["token"], payload["user"]["id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the server (default: %(default)s)")
    args = parser.parse_args(argv)
    api = Client(args.url)
    lat, lng = random.uniform(-50, 50), random.uniform(-150, 150)  # away from other data

    step("1. Three accounts: diners Mei and Lin, restaurant owner Chen")
    mei, _ = register(api, "Mei")
    lin, lin_id = register(api, "Lin")
    chen, _ = register(api, "Chen", "RESTAURANT")
    for token in (mei, lin):
        api.call("mutation { updateProfile(input: {cuisines: [\"sichuan\", \"hotpot\"]}) { errors { code } } }",
                 token=token)

    step("2. Both agree to the location notice (PIPL), then share their location")
    notice = api.call("{ locationNotice { version } }")["version"]
    for token in (mei, lin):
        api.call(
            "mutation($v: String!) { grantLocationConsent(noticeVersion: $v) { errors { code message } } }",
            {"v": notice},
            token,
        )
    location = "mutation($a: Float!, $o: Float!) { updateLocation(lat: $a, lng: $o) { errors { code message } } }"
    api.call(location, {"a": lat, "o": lng}, mei)
    api.call(location, {"a": lat + 0.01, "o": lng + 0.01}, lin)
    nearby = api.call(
        "{ nearbyFoodies(radiusKm: 5) { edges { node { distanceKm score user { id displayName } } } } }", token=mei
    )
    found = [e["node"] for e in nearby["edges"] if e["node"]["user"]["id"] == lin_id]
    if not found:
        raise SystemExit("Lin is not among Mei's nearby foodies")
    print(f"   Mei sees Lin {found[0]['distanceKm']} km away (score {found[0]['score']:.2f})")

    step("3. Mei asks Lin to eat together; Lin accepts: a match")
    request = api.call(
        "mutation($u: ID!) { sendMatchRequest(userId: $u, message: \"火锅?\") { request { id } errors { code } } }",
        {"u": lin_id}, mei,
    )["request"]["id"]
    status = api.call(
        "mutation($r: ID!) { respondMatchRequest(requestId: $r, accept: true) { request { status } errors { code } } }",
        {"r": request}, lin,
    )["request"]["status"]
    print(f"   match request {status}")

    step("4. Chen opens a restaurant and posts a free-voucher deal (dates from now)")
    restaurant = api.call(
        "mutation($i: RestaurantInput!) { createRestaurant(input: $i) { restaurant { id name } errors { code } } }",
        {"i": {"name": "小龙坎火锅", "lat": lat + 0.005, "lng": lng + 0.005, "address": "春熙路 1 号",
               "cuisines": ["hotpot"]}},
        chen,
    )["restaurant"]["id"]
    deal = api.call(
        "mutation($i: DealInput!) { createDeal(input: $i) { deal { id title } errors { field code message } } }",
        {"i": {"restaurantId": restaurant, "title": "双人火锅套餐", "priceCents": 0, "originalPriceCents": 19800,
               "quantity": 20, "perUserLimit": 1, "startsAt": iso(timedelta(minutes=-1)),
               "endsAt": iso(timedelta(days=14))}},
        chen,
    )["deal"]["id"]

    step("5. Mei hosts a shared meal there; Lin joins")
    meal = api.call(
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id title } errors { field code message } } }",
        {"i": {"restaurantId": restaurant, "title": "周五火锅局", "startsAt": iso(timedelta(days=2)), "capacity": 4}},
        mei,
    )["meal"]["id"]
    joined = api.call(
        "mutation($m: ID!) { joinSharedMeal(mealId: $m) { status errors { code } } }", {"m": meal}, lin
    )
    print(f"   Lin: {joined['status']}")

    step("6. Mei shares the deal; Lin claims it through the share link")
    share = api.call("mutation($d: ID!) { shareDeal(dealId: $d) { token url errors { code } } }", {"d": deal}, mei)
    print(f"   share link: {share['url']}")
    claim = api.call(
        "mutation($d: ID!, $k: String!, $s: AttributionInput) { claimDeal(dealId: $d, idempotencyKey: $k, source: $s) "
        "{ claim { code status source } errors { field code message } } }",
        {"d": deal, "k": uuid.uuid4().hex, "s": {"type": "SHARE_LINK", "id": share["token"]}},
        lin,
    )["claim"]
    print(f"   voucher {claim['code']} {claim['status']} (source {claim['source']})")

    step("7. At the table, Chen's staff redeem the voucher")
    redeemed = api.call(
        "mutation($c: String!, $b: Int) { redeemVoucher(code: $c, billCents: $b) { claim { status } errors { code } } }",
        {"c": claim["code"], "b": 16800}, chen,
    )["claim"]["status"]
    print(f"   voucher {redeemed}")

    step("8. Chen's insights credit the share link")
    insights = api.call(
        "query($r: ID!, $f: DateTime!, $t: DateTime!) { restaurantInsights(restaurantId: $r, from: $f, to: $t) "
        "{ funnel { views claims redemptions } bySource { type claims redemptions } } }",
        {"r": restaurant, "f": iso(timedelta(days=-1)), "t": iso(timedelta(days=1))}, chen,
    )
    by_source = {row["type"]: row for row in insights["bySource"]}
    share_row = by_source.get("SHARE_LINK")
    print(f"   funnel {insights['funnel']}; SHARE_LINK {share_row}")
    if not share_row or share_row["redemptions"] < 1:
        raise SystemExit("the share link is not credited in the insights")
    print("\nwalk-through complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
