"""Self-service rights through the endpoint (PIPL): location consent before location use,
withdrawal (the point leaves nearby at once, no history kept), export my data, delete my account."""

from __future__ import annotations

import json

from geo.models import GeoPoint
from schema.ids import decode
from tests.helpers import LOCATION_NOTICE_VERSION, gql, random_spot, register, unique_email
from tests.test_foodies import MOVE, NEARBY
from tests.test_personal_data import cli

NOTICE = "{ locationNotice { version } myLocationConsent { noticeVersion grantedAt } }"
GRANT = "mutation($v: String!) { grantLocationConsent(noticeVersion: $v) { consent { noticeVersion } errors { field code } } }"
WITHDRAW = "mutation { withdrawLocationConsent { user { location { lat } } errors { code } } }"
ME = "{ me { id displayName location { lat lng } } }"
EXPORT = "{ exportMyData }"
DELETE = "mutation($p: String!) { deleteMyAccount(password: $p) { deleted errors { field code } } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
REGISTER = """mutation($i: RegisterInput!) { register(input: $i) { token errors { field code } } }"""
PASSWORD = "correct horse battery"


async def nearby_ids(client, token):
    edges = (await gql(client, NEARBY, {"r": 20}, token))["data"]["nearbyFoodies"]["edges"]
    return [e["node"]["user"]["id"] for e in edges]


async def move(client, token, lat, lng):
    return (await gql(client, MOVE, {"lat": lat, "lng": lng}, token))["data"]["updateLocation"]["errors"]


async def test_location_needs_consent_and_withdrawal_removes_the_point_at_once(client):
    lat, lng = random_spot()
    diner, diner_id, _ = await register(client, location_consent=False)
    assert await move(client, diner, lat, lng) == [{"code": "LOCATION_CONSENT_REQUIRED"}]
    notice = (await gql(client, NOTICE, token=diner))["data"]
    assert notice == {"locationNotice": {"version": LOCATION_NOTICE_VERSION}, "myLocationConsent": None}
    stale = await gql(client, GRANT, {"v": "2019-01"}, diner)
    assert stale["data"]["grantLocationConsent"]["errors"] == [{"field": "noticeVersion", "code": "INVALID"}]
    granted = await gql(client, GRANT, {"v": LOCATION_NOTICE_VERSION}, diner)
    assert granted["data"]["grantLocationConsent"]["consent"] == {"noticeVersion": LOCATION_NOTICE_VERSION}
    assert await move(client, diner, lat, lng) == []

    neighbour, _, _ = await register(client)
    assert await move(client, neighbour, lat + 0.01, lng) == []
    assert diner_id in await nearby_ids(client, neighbour)

    # Only the current point is kept: moving overwrites it, in the user row and in the index.
    assert await move(client, diner, lat + 0.02, lng) == []
    pk = decode(diner_id, "User", "id")
    assert await GeoPoint.filter(kind="diner", object_id=pk).count() == 1

    withdrawn = await gql(client, WITHDRAW, token=diner)
    assert withdrawn["data"]["withdrawLocationConsent"] == {"user": {"location": None}, "errors": []}
    assert diner_id not in await nearby_ids(client, neighbour)
    assert await GeoPoint.filter(kind="diner", object_id=pk).count() == 0
    assert (await gql(client, ME, token=diner))["data"]["me"]["location"] is None
    assert await move(client, diner, lat, lng) == [{"code": "LOCATION_CONSENT_REQUIRED"}]


async def test_consent_at_sign_up_is_checked_before_the_account_exists(client):
    email = unique_email()
    variables = {"i": {"email": email, "password": PASSWORD, "displayName": "新人", "locationConsentVersion": "old"}}
    refused = (await gql(client, REGISTER, variables))["data"]["register"]
    assert refused == {"token": None, "errors": [{"field": "locationConsentVersion", "code": "INVALID"}]}
    assert (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["errors"] == [
        {"code": "INVALID_CREDENTIALS"}
    ]


async def test_export_my_data_is_what_the_cli_exports(client, settings):
    diner, _, email = await register(client, name="导出者")
    await move(client, diner, *random_spot())
    await gql(client, GRANT, {"v": LOCATION_NOTICE_VERSION}, diner)  # again: the first record stands
    mine = (await gql(client, EXPORT, token=diner))["data"]["exportMyData"]
    assert mine["account"]["displayName"] == "导出者" and mine["account"]["location"] is not None
    assert [c["noticeVersion"] for c in mine["locationConsents"]] == [LOCATION_NOTICE_VERSION]
    printed = await cli(settings, "export-user", "--email", email)
    assert printed.returncode == 0, printed.stderr
    by_cli = json.loads(printed.stdout)
    assert {**mine, "exportedAt": None} == {**by_cli, "exportedAt": None}
    anonymous = await gql(client, EXPORT, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_the_export_shows_a_voucher_code_only_as_the_claim_does(client):
    """An unpaid claim's code is null on the Claim type (a screenshot is no voucher): the data
    export must not hand it out either; once paid, both show it."""
    from tests.test_deals import a_deal, claim

    _, _, deal = await a_deal(client, priceCents=9900)
    diner, _, _ = await register(client)
    held = await claim(client, diner, deal)
    assert held["claim"]["status"] == "PENDING_PAYMENT" and held["claim"]["code"] is None
    exported = (await gql(client, EXPORT, token=diner))["data"]["exportMyData"]["claims"]
    assert [(c["status"], c["code"]) for c in exported] == [("pending_payment", None)]


async def test_delete_my_account_needs_the_password_and_ends_every_session(client):
    diner, diner_id, email = await register(client, name="要走的人")
    other_device = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["token"]
    friend, friend_id, _ = await register(client)
    await gql(client, FOLLOW, {"u": friend_id}, diner)

    wrong = await gql(client, DELETE, {"p": "not my password"}, diner)
    assert wrong["data"]["deleteMyAccount"] == {
        "deleted": False,
        "errors": [{"field": "password", "code": "INVALID_CREDENTIALS"}],
    }
    assert (await gql(client, ME, token=diner))["data"]["me"]["displayName"] == "要走的人"

    done = await gql(client, DELETE, {"p": PASSWORD}, diner)
    assert done["data"]["deleteMyAccount"] == {"deleted": True, "errors": []}
    for token in (diner, other_device):  # every session ended: the tokens are anonymous now
        assert (await gql(client, ME, token=token))["data"]["me"] is None
    assert (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["errors"] == [
        {"code": "INVALID_CREDENTIALS"}
    ]
    # What named them elsewhere is gone too: the friend's "new follower" notification.
    notes = await gql(client, "{ notifications { edges { node { kind } } } }", token=friend)
    assert notes["data"]["notifications"]["edges"] == []
