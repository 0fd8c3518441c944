"""Accounts through the GraphQL endpoint: register, login, me, profile, location."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import override_settings
from tests.helpers import gql, register, unique_email

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { id email } errors { field code message } }
}
"""
ME = "query { me { id displayName email role cuisines spiceLevel location { lat lng } } }"
UPDATE_PROFILE = """
mutation Update($input: ProfileInput!) {
  updateProfile(input: $input) {
    user { displayName bio cuisines dietary spiceLevel budgetLevel }
    errors { field code message }
  }
}
"""
UPDATE_LOCATION = """
mutation Move($lat: Float!, $lng: Float!) {
  updateLocation(lat: $lat, lng: $lng) { location { lat lng } errors { field code } }
}
"""
REGISTER = """
mutation R($input: RegisterInput!) { register(input: $input) { token errors { field code } } }
"""


async def test_register_login_me_round_trip(client):
    token, user_id, email = await register(client, name="小龙虾爱好者")
    me = (await gql(client, ME, token=token))["data"]["me"]
    assert me["id"] == user_id
    assert me["displayName"] == "小龙虾爱好者"
    assert me["email"] == email
    assert me["role"] == "DINER"

    login = await gql(client, LOGIN, {"email": email.upper(), "password": "correct horse battery"})
    assert login["data"]["login"]["errors"] == []
    assert login["data"]["login"]["user"]["id"] == user_id
    second = (await gql(client, ME, token=login["data"]["login"]["token"]))["data"]["me"]
    assert second["id"] == user_id


async def test_anonymous_me_is_null(client):
    assert (await gql(client, ME))["data"]["me"] is None


async def test_bad_token_is_anonymous(client):
    assert (await gql(client, ME, token="tm1.garbage.sig"))["data"]["me"] is None


async def test_register_rejects_bad_input_with_codes(client):
    body = await gql(
        client,
        REGISTER,
        {"input": {"email": "not-an-email", "password": "123", "displayName": " "}},
    )
    payload = body["data"]["register"]
    assert payload["token"] is None
    codes = {(e["field"], e["code"]) for e in payload["errors"]}
    assert codes == {("email", "INVALID_EMAIL"), ("password", "WEAK_PASSWORD"), ("displayName", "INVALID")}


async def test_duplicate_email_is_rejected(client):
    _, _, email = await register(client)
    body = await gql(
        client,
        REGISTER,
        {"input": {"email": email, "password": "another good pass", "displayName": "x"}},
    )
    assert body["data"]["register"]["errors"] == [{"field": "email", "code": "EMAIL_TAKEN"}]


async def test_wrong_password_and_unknown_email_look_the_same(client):
    _, _, email = await register(client)
    wrong = (await gql(client, LOGIN, {"email": email, "password": "wrong password!"}))["data"]["login"]
    unknown = (await gql(client, LOGIN, {"email": unique_email(), "password": "wrong password!"}))["data"][
        "login"
    ]
    assert wrong == unknown
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"

    async def timed(email_: str) -> float:
        started = time.perf_counter()
        await gql(client, LOGIN, {"email": email_, "password": "wrong password!"})
        return time.perf_counter() - started

    known = min([await timed(email) for _ in range(3)])
    missing = min([await timed(unique_email()) for _ in range(3)])
    # Both paths run one argon2 verify: neither is several times faster than the other.
    assert missing > known / 3 and known > missing / 3


async def test_restaurant_account_type(client):
    token, _, _ = await register(client, account_type="RESTAURANT")
    assert (await gql(client, ME, token=token))["data"]["me"]["role"] == "RESTAURANT"


async def test_update_profile_validates_and_saves(client):
    token, _, _ = await register(client)
    bad = (
        await gql(
            client,
            UPDATE_PROFILE,
            {"input": {"cuisines": ["sichuan", "martian"], "spiceLevel": 9, "budgetLevel": 0}},
            token,
        )
    )["data"]["updateProfile"]
    assert {(e["field"], e["code"]) for e in bad["errors"]} == {
        ("cuisines", "UNKNOWN_TAG"),
        ("spiceLevel", "OUT_OF_RANGE"),
        ("budgetLevel", "OUT_OF_RANGE"),
    }
    assert bad["user"] is None
    unchanged = (await gql(client, ME, token=token))["data"]["me"]
    assert unchanged["cuisines"] == [] and unchanged["spiceLevel"] is None  # no partial write

    good = (
        await gql(
            client,
            UPDATE_PROFILE,
            {
                "input": {
                    "displayName": "麻辣小王",
                    "bio": "无辣不欢",
                    "cuisines": ["Sichuan", "hotpot"],
                    "dietary": ["halal"],
                    "spiceLevel": 5,
                    "budgetLevel": 2,
                }
            },
            token,
        )
    )["data"]["updateProfile"]
    assert good["errors"] == []
    assert good["user"] == {
        "displayName": "麻辣小王",
        "bio": "无辣不欢",
        "cuisines": ["sichuan", "hotpot"],
        "dietary": ["halal"],
        "spiceLevel": 5,
        "budgetLevel": 2,
    }


async def test_tastes_are_given_by_slug_or_chinese_label(client):
    """A Chinese client writes 川菜 where an English one writes sichuan: both are one tag, stored
    and answered as the slug, in any case or width, each once."""
    token, _, _ = await register(client)
    tastes = {"cuisines": ["川菜", "ＨＯＴＰＯＴ", "sichuan", " 火锅 "], "dietary": ["清真", "Gluten-Free"]}
    saved = (await gql(client, UPDATE_PROFILE, {"input": tastes}, token))["data"]["updateProfile"]
    assert saved["errors"] == []
    assert (saved["user"]["cuisines"], saved["user"]["dietary"]) == (["sichuan", "hotpot"], ["halal", "gluten_free"])
    bad = (await gql(client, UPDATE_PROFILE, {"input": {"cuisines": ["湘菜", "火星菜"]}}, token))["data"]
    [error] = bad["updateProfile"]["errors"]
    assert (error["field"], error["code"]) == ("cuisines", "UNKNOWN_TAG") and "火星菜" in error["message"]
    assert (await gql(client, ME, token=token))["data"]["me"]["cuisines"] == ["sichuan", "hotpot"]


async def test_update_profile_requires_sign_in(client):
    body = await gql(client, UPDATE_PROFILE, {"input": {"bio": "x"}}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_update_location_validates_and_is_private(client):
    token, user_id, _ = await register(client)
    bad = (await gql(client, UPDATE_LOCATION, {"lat": 91, "lng": 181}, token))["data"]["updateLocation"]
    assert {e["field"] for e in bad["errors"]} == {"lat", "lng"}
    good = (await gql(client, UPDATE_LOCATION, {"lat": 31.2304, "lng": 121.4737}, token))["data"][
        "updateLocation"
    ]
    assert good == {"location": {"lat": 31.2304, "lng": 121.4737}, "errors": []}

    other_token, _, _ = await register(client)
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on User { displayName location { lat } } } }",
        {"id": user_id},
        other_token,
        expect_errors=True,
    )
    assert node["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_suspended_users_token_stops_working_at_once(client, services):
    from models.accounts import User

    token, user_id, email = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"] is not None
    user = await User.get(email=email)
    user.suspended_until = datetime.now(UTC) + timedelta(days=1)
    await user.save(update_fields=["suspended_until"])
    # Written past the app's own paths (moderate bumps it itself, see test_viewer_cache.py): such a
    # writer drops the viewer's cached copy by bumping its generation (issue 18).
    from resolvers.accounts import viewer_cache

    await viewer_cache.changed(services, user.id)
    refused = await gql(client, ME, token=token, expect_errors=True)
    assert refused["data"]["me"] is None and refused["errors"][0]["extensions"]["reason"] == "ACCOUNT_SUSPENDED"
    login = (await gql(client, LOGIN, {"email": email, "password": "correct horse battery"}))["data"]["login"]
    assert login["errors"][0]["code"] == "ACCOUNT_SUSPENDED"


async def test_login_is_rate_limited_per_address_and_account(client, services):
    _, _, email = await register(client)
    with override_settings(services, login_failures_per_address_and_account=3):
        codes = []
        for _ in range(5):
            body = await gql(client, LOGIN, {"email": email, "password": "nope nope nope"})
            codes.append(body["data"]["login"]["errors"][0]["code"])
    assert codes[:3] == ["INVALID_CREDENTIALS"] * 3
    assert codes[3:] == ["RATE_LIMITED"] * 2


async def test_taste_vocabulary_is_exposed(client):
    body = await gql(client, "{ cuisineTags { tag labelZh } dietaryTags { tag } }")
    tags = {t["tag"]: t["labelZh"] for t in body["data"]["cuisineTags"]}
    assert tags["hotpot"] == "火锅"
    assert {"tag": "halal"} in body["data"]["dietaryTags"]
