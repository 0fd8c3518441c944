"""Fuzzing: hypothesis-generated inputs for the mutations give UserErrors or GraphQL validation
errors, never a 500, and a refused mutation writes nothing."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.deals import Claim, Deal
from models.meals import RestaurantEvent, SharedMeal
from models.moderation import Report
from models.restaurants import Dish, Restaurant
from models.reviews import Review
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register

TABLES = (Restaurant, Dish, Review, SharedMeal, RestaurantEvent, Deal, Claim, Report)
WORLD: dict[str, str] = {}

text = st.one_of(st.text(max_size=300), st.sampled_from(["a\x00b", "火锅\x00", "\u200b", "🍜" * 50]))
small_int = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, 1, 2, 5, 20, 21, -1]))
coordinate = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.floats(-90, 90))
moment = st.one_of(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)).map(
        datetime.isoformat
    ),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)).map(datetime.isoformat),
    st.just((datetime.now(UTC) + timedelta(days=2)).isoformat()),
    text,
)


def any_id(*names: str):
    """Real IDs of the world, IDs of the wrong type or unknown rows, and junk."""
    forged = st.builds(
        lambda kind, pk: base64.b64encode(f"{kind}:{pk}".encode()).decode(),
        st.sampled_from(["User", "Review", "Dish", "Deal", "Nope", "SharedMeal"]),
        st.one_of(st.integers(-5, 10**12), st.text(max_size=5)),
    )
    return st.one_of(st.sampled_from(names).map(lambda n: WORLD[n]), forged, text)


CASES = {
    "login": (
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { errors { code } } }",
        st.fixed_dictionaries({"e": text, "p": text}),
    ),
    "addRestaurantStaff": (
        "mutation($r: ID!, $e: String!) { addRestaurantStaff(restaurantId: $r, email: $e) { errors { code } } }",
        st.fixed_dictionaries({"r": any_id("restaurant"), "e": text}),
    ),
    "updateReview": (
        "mutation($r: ID!, $i: ReviewUpdateInput!) { updateReview(reviewId: $r, input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "r": any_id("review"),
                "i": st.fixed_dictionaries(
                    {},
                    optional={
                        "rating": small_int,
                        "body": text,
                        "photoIds": st.lists(any_id("review"), max_size=10),
                    },
                ),
            }
        ),
    ),
    "recordDealView": (
        "mutation($d: ID!, $s: AttributionInput) { recordDealView(dealId: $d, source: $s) }",
        st.fixed_dictionaries(
            {
                "d": any_id("deal"),
                "s": st.one_of(
                    st.none(),
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(["REVIEW", "PROFILE", "SHARE_LINK"]),
                            "id": any_id("review", "user"),
                        }
                    ),
                ),
            }
        ),
    ),
    "register": (
        "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {"i": st.fixed_dictionaries({"email": text, "password": text, "displayName": text})}
        ),
    ),
    "updateProfile": (
        "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {},
                    optional={
                        "displayName": text,
                        "bio": text,
                        "cuisines": st.lists(text, max_size=12),
                        "spiceLevel": small_int,
                        "budgetLevel": small_int,
                        "timezone": text,
                    },
                )
            }
        ),
    ),
    "updateLocation": (
        "mutation($a: Float!, $b: Float!) { updateLocation(lat: $a, lng: $b) { errors { code } } }",
        st.fixed_dictionaries({"a": coordinate, "b": coordinate}),
    ),
    "createRestaurant": (
        "mutation($i: RestaurantInput!) { createRestaurant(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {
                        "name": text,
                        "lat": coordinate,
                        "lng": coordinate,
                        "cuisines": st.lists(text, max_size=5),
                    }
                )
            }
        ),
    ),
    "addDish": (
        "mutation($r: ID!, $i: DishInput!) { addDish(restaurantId: $r, input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "r": any_id("restaurant"),
                "i": st.fixed_dictionaries(
                    {"name": text, "priceCents": small_int, "tags": st.lists(text, max_size=15)}
                ),
            }
        ),
    ),
    "createReview": (
        "mutation($i: ReviewInput!) { createReview(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {
                        "dishId": any_id("dish"),
                        "rating": small_int,
                        "body": text,
                        "photoIds": st.lists(any_id("review"), max_size=10),
                    }
                )
            }
        ),
    ),
    "requestPhotoUpload": (
        "mutation($t: String!, $n: Int!) { requestPhotoUpload(contentType: $t, byteSize: $n) { errors { code } } }",
        st.fixed_dictionaries({"t": st.one_of(text, st.just("image/png")), "n": small_int}),
    ),
    "createSharedMeal": (
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {
                        "restaurantId": any_id("restaurant"),
                        "title": text,
                        "startsAt": moment,
                        "capacity": small_int,
                    }
                )
            }
        ),
    ),
    "joinSharedMeal": (
        "mutation($m: ID!) { joinSharedMeal(mealId: $m) { errors { code } } }",
        st.fixed_dictionaries({"m": any_id("meal")}),
    ),
    "createRestaurantEvent": (
        "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {
                        "restaurantId": any_id("restaurant"),
                        "title": text,
                        "startsAt": moment,
                        "endsAt": moment,
                        "capacity": small_int,
                        "priceCents": small_int,
                    }
                )
            }
        ),
    ),
    "createDeal": (
        "mutation($i: DealInput!) { createDeal(input: $i) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "i": st.fixed_dictionaries(
                    {
                        "restaurantId": any_id("restaurant"),
                        "title": text,
                        "priceCents": small_int,
                        "originalPriceCents": small_int,
                        "quantity": small_int,
                        "perUserLimit": small_int,
                        "startsAt": moment,
                        "endsAt": moment,
                    }
                )
            }
        ),
    ),
    "claimDeal": (
        "mutation($d: ID!, $k: String!, $s: AttributionInput) { claimDeal(dealId: $d, idempotencyKey: $k, source: $s) { errors { code } } }",
        st.fixed_dictionaries(
            {
                "d": any_id("deal"),
                "k": text,
                "s": st.one_of(
                    st.none(),
                    st.fixed_dictionaries(
                        {
                            "type": st.sampled_from(
                                ["REVIEW", "SHARED_MEAL", "EVENT", "PROFILE", "FEED", "SHARE_LINK"]
                            ),
                            "id": any_id("review", "meal", "user"),
                        }
                    ),
                ),
            }
        ),
    ),
    "redeemVoucher": (
        "mutation($c: String!, $b: Int) { redeemVoucher(code: $c, billCents: $b) { errors { code } } }",
        st.fixed_dictionaries({"c": text, "b": st.one_of(st.none(), small_int)}),
    ),
    "reportContent": (
        "mutation($t: ID!, $n: String) { reportContent(targetId: $t, reason: SPAM, note: $n) { errors { code } } }",
        st.fixed_dictionaries({"t": any_id("review", "user", "deal"), "n": st.one_of(st.none(), text)}),
    ),
    "sendMatchRequest": (
        "mutation($u: ID!, $m: String) { sendMatchRequest(userId: $u, message: $m) { errors { code } } }",
        st.fixed_dictionaries({"u": any_id("user"), "m": st.one_of(st.none(), text)}),
    ),
}


async def _world(client, services) -> dict[str, str]:
    if WORLD.get("ready") == str(id(services)):
        return WORLD
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, user, _ = await register(client)
    review = (
        await gql(
            client,
            "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } } }",
            {"i": {"dishId": dish, "rating": 4}},
            author,
        )
    )["data"]["createReview"]["review"]["id"]
    soon, later = (
        (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    )
    meal = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } } }",
        {"i": {"restaurantId": restaurant, "title": "局", "startsAt": soon, "capacity": 3}},
        author,
    )
    deal = await gql(
        client,
        "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } } }",
        {
            "i": {
                "restaurantId": restaurant,
                "title": "券",
                "priceCents": 0,
                "originalPriceCents": 100,
                "quantity": 3,
                "startsAt": datetime.now(UTC).isoformat(),
                "endsAt": later,
            }
        },
        owner,
    )
    fuzzer, _, _ = await register(client, name="fuzzer")
    moderator, _ = await account_with_role(client, services)
    WORLD.update(
        ready=str(id(services)),
        owner=owner,
        restaurant=restaurant,
        dish=dish,
        user=user,
        review=review,
        meal=meal["data"]["createSharedMeal"]["meal"]["id"],
        deal=deal["data"]["createDeal"]["deal"]["id"],
        fuzzer=fuzzer,
        moderator=moderator,
    )
    return WORLD


async def _counts() -> list[int]:
    return [await table.all().count() for table in TABLES]


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_mutation_survives_random_input(client, services, name, data):
    world = await _world(client, services)
    document, variables_strategy = CASES[name]
    variables = data.draw(variables_strategy)
    token = world["owner"] if data.draw(st.booleans()) else world["fuzzer"]
    before = await _counts()
    response = await client.post(
        "/graphql",
        json={"query": document, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
    assert "INTERNAL_SERVER_ERROR" not in codes, body
    payload = (body.get("data") or {}).get(name)
    if payload is None or (isinstance(payload, dict) and payload["errors"]):
        assert await _counts() == before, (variables, body)
