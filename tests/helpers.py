"""Helpers tests use to act like the app's users: call the API, sign up, sign in."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx

LOCATION_NOTICE_VERSION = "2026-01"  # settings.location_notice_version by default
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { token user { id displayName } errors { field code message } }
}
"""


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
    *,
    expect_errors: bool = False,
) -> dict[str, Any]:
    """POST a GraphQL document; unless expect_errors, fail on any top-level error."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if not expect_errors:
        assert not body.get("errors"), body["errors"]
    return body


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register(
    client: httpx.AsyncClient,
    name: str = "测试用户",
    account_type: str = "DINER",
    password: str = "correct horse battery",
    email: str | None = None,
    location_consent: bool = True,
) -> tuple[str, str, str]:
    """A new account: (token, user global id, email)."""
    email = email or unique_email()
    body = await gql(
        client,
        REGISTER,
        {
            "input": {
                "email": email,
                "password": password,
                "displayName": name,
                "accountType": account_type,
                # Location needs consent (PIPL); the app's sign-up screen asks for it.
                "locationConsentVersion": LOCATION_NOTICE_VERSION if location_consent else None,
            }
        },
    )
    payload = body["data"]["register"]
    assert payload["errors"] == [], payload["errors"]
    return payload["token"], payload["user"]["id"], email


def random_spot(rng: random.Random | None = None) -> tuple[float, float]:
    """A place far from other tests' places, so nearby queries see only this test's data."""
    rng = rng or random.Random()
    return rng.uniform(-60, 60), rng.uniform(-170, 170)


CREATE_RESTAURANT = """
mutation($i: RestaurantInput!) {
  createRestaurant(input: $i) { restaurant { id name } errors { field code message } }
}
"""
ADD_DISH = """
mutation($r: ID!, $i: DishInput!) { addDish(restaurantId: $r, input: $i) { dish { id } errors { field code } } }
"""


async def open_restaurant(
    client: httpx.AsyncClient,
    lat: float,
    lng: float,
    name: str = "重庆火锅",
    cuisines: tuple[str, ...] = ("hotpot",),
    owner_token: str | None = None,
) -> tuple[str, str]:
    """A restaurant account (or `owner_token`) opens a restaurant: (owner token, restaurant id)."""
    if owner_token is None:
        owner_token, _, _ = await register(client, name="老板", account_type="RESTAURANT")
    body = await gql(
        client,
        CREATE_RESTAURANT,
        {"i": {"name": name, "lat": lat, "lng": lng, "address": "解放碑", "cuisines": list(cuisines)}},
        owner_token,
    )
    payload = body["data"]["createRestaurant"]
    assert payload["errors"] == [], payload["errors"]
    return owner_token, payload["restaurant"]["id"]


async def add_dish(
    client: httpx.AsyncClient,
    owner_token: str,
    restaurant_id: str,
    name: str = "毛肚",
    price_cents: int = 3800,
) -> str:
    body = await gql(
        client, ADD_DISH, {"r": restaurant_id, "i": {"name": name, "priceCents": price_cents}}, owner_token
    )
    payload = body["data"]["addDish"]
    assert payload["errors"] == [], payload["errors"]
    return payload["dish"]["id"]


async def account_with_role(
    client: httpx.AsyncClient, services: Any, role: str = "moderator"
) -> tuple[str, str]:
    """A moderator/admin made the way operators make them (the create-user CLI's function),
    then signed in through the API: (token, user id)."""
    from models.accounts import Role
    from resolvers.accounts.accounts import create_account

    email, password = unique_email(role), "correct horse battery"
    await create_account(services, email, password, f"{role}-{uuid.uuid4().hex[:4]}", Role(role))
    body = await gql(
        client,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id } errors { code } } }",
        {"e": email, "p": password},
    )
    return body["data"]["login"]["token"], body["data"]["login"]["user"]["id"]


ACCEPT_STAFF = "mutation($r: ID!) { acceptStaffInvitation(restaurantId: $r) { errors { code } } }"


async def accept_staff(client: httpx.AsyncClient, restaurant: str, token: str) -> None:
    """The invitee accepts an owner's addRestaurantStaff: staff from then on."""
    body = await gql(client, ACCEPT_STAFF, {"r": restaurant}, token)
    assert body["data"]["acceptStaffInvitation"]["errors"] == []
