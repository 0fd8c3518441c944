"""Push delivery: device registration, the outbox (retry with back-off, de-duplication, dead
tokens), and the real APNs provider speaking HTTP/2 with token auth to a stand-in on loopback."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.services import make_push_providers
from models.notifications import DeliveryStatus, PushDelivery
from resolvers.notifications.push import drain
from tests.apns_standin import StandIn, free_port, serve, signing_key, tls_certificate
from tests.helpers import gql, register

REGISTER = """mutation($p: PushPlatform!, $t: String!) { registerPushDevice(platform: $p, token: $t) {
  device { id platform } errors { field code } } }"""
UNREGISTER = """mutation($t: String!) { unregisterPushDevice(platform: IOS, token: $t) { removed errors { code } } }"""
DEVICES = "{ myPushDevices { id platform } }"
FOLLOW = "mutation($u: ID!) { follow(userId: $u) { errors { code } } }"
SET_PREF = 'mutation { setNotificationPreference(kind: "new_follower", push: false) { errors { code } } }'
TOKEN_A, TOKEN_B, TOKEN_C = "a1" * 32, "b2" * 32, "c3" * 32


@pytest.fixture
async def apns(services, tmp_path):
    """The app's iOS provider pointed at a stand-in APNs for the test (then put back)."""
    key_file, public_key = signing_key(tmp_path)
    cert, cert_key = tls_certificate(tmp_path)
    stand_in = StandIn(public_key, key_id="TEST123456", team_id="TEAM987654", topic="app.tablemates.ios")
    port, stop = free_port(), asyncio.Event()
    server = asyncio.create_task(serve(stand_in, cert, cert_key, port, stop))
    settings = replace(
        services.settings,
        apns_key_file=str(key_file),
        apns_key_id="TEST123456",
        apns_team_id="TEAM987654",
        apns_topic="app.tablemates.ios",
        apns_url=f"https://127.0.0.1:{port}",
        apns_ca_file=str(cert),
    )
    original = services.push
    services.push = make_push_providers(settings)
    await asyncio.sleep(0.2)  # the server binds
    try:
        yield stand_in
    finally:
        for provider in services.push.values():
            await provider.aclose()
        services.push = original
        stop.set()
        await server


async def deliveries():
    return await PushDelivery.all().select_related("device").order_by("id")


async def test_register_is_validated_and_one_token_one_device(client):
    alice, _, _ = await register(client)
    bob, _, _ = await register(client)
    bad = await gql(client, REGISTER, {"p": "IOS", "t": "not-hex"}, alice)
    assert bad["data"]["registerPushDevice"]["errors"] == [{"field": "token", "code": "INVALID_DEVICE_TOKEN"}]
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_C}, alice)
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_C}, alice)
    assert len((await gql(client, DEVICES, token=alice))["data"]["myPushDevices"]) == 1
    # The phone signs into another account: the token moves, it is never shared.
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_C}, bob)
    assert (await gql(client, DEVICES, token=alice))["data"]["myPushDevices"] == []
    refused = await gql(client, UNREGISTER, {"t": TOKEN_C}, alice)
    assert refused["data"]["unregisterPushDevice"]["errors"] == [{"code": "NOT_FOUND"}]
    assert (await gql(client, UNREGISTER, {"t": TOKEN_C}, bob))["data"]["unregisterPushDevice"]["removed"] is True


async def test_outbox_retries_with_backoff_drops_dead_tokens_and_sends_once(client, services, apns):
    alice, alice_id, _ = await register(client, name="阿丽")
    bob, _, _ = await register(client, name="阿博")
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_A}, alice)
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_B}, alice)
    apns.script = {TOKEN_A: [(503, "ServiceUnavailable"), (200, "")], TOKEN_B: [(410, "Unregistered")]}
    await gql(client, FOLLOW, {"u": alice_id}, bob)
    rows = [r for r in await deliveries() if r.device.token in (TOKEN_A, TOKEN_B)]
    assert len(rows) == 2 and {r.status for r in rows} == {DeliveryStatus.PENDING}

    before = datetime.now(UTC)
    await asyncio.gather(drain(services), drain(services))  # two workers at once: one attempt each
    assert sorted(r.path for r in apns.received) == [f"/3/device/{TOKEN_A}", f"/3/device/{TOKEN_B}"]
    first = apns.received[0]
    assert first.http_version == "2"
    assert first.headers["apns-push-type"] == "alert" and first.headers["apns-topic"] == "app.tablemates.ios"
    assert "阿博 关注了你" in first.payload["aps"]["alert"]["body"] and first.payload["kind"] == "new_follower"

    retried = await PushDelivery.get(device__token=TOKEN_A)
    assert retried.status == DeliveryStatus.PENDING and retried.attempts == 1
    wait = (retried.next_attempt_at - before).total_seconds()
    assert services.settings.push_retry_base_seconds - 1 <= wait <= services.settings.push_retry_base_seconds + 5
    assert retried.last_error == "ServiceUnavailable"
    # Apple said the token is dead: the device is forgotten (with its outbox rows).
    assert [d["platform"] for d in (await gql(client, DEVICES, token=alice))["data"]["myPushDevices"]] == ["IOS"]

    await drain(services)  # not due yet: nothing sent
    assert len(apns.received) == 2
    await PushDelivery.filter(id=retried.id).update(next_attempt_at=datetime.now(UTC))  # time passes
    await drain(services)
    await drain(services)
    sent = await PushDelivery.get(id=retried.id)
    assert sent.status == DeliveryStatus.SENT and sent.attempts == 2
    to_a = [r for r in apns.received if r.path.endswith(TOKEN_A)]
    assert len(to_a) == 2 and to_a[0].headers["apns-id"] == to_a[1].headers["apns-id"]  # one id per delivery

    # Push turned off for this kind: the notification is stored, nothing is queued.
    await gql(client, SET_PREF, token=alice)
    carol, _, _ = await register(client)
    await gql(client, FOLLOW, {"u": alice_id}, carol)
    assert await PushDelivery.filter(device_id=sent.device_id).count() == 1


async def test_out_of_attempts_and_the_android_stub_end_failed(client, services, apns):
    alice, alice_id, _ = await register(client)
    bob, _, _ = await register(client)
    await gql(client, REGISTER, {"p": "IOS", "t": TOKEN_C}, alice)
    await gql(client, REGISTER, {"p": "ANDROID", "t": "android-token-0123456789"}, alice)
    apns.script = {TOKEN_C: [(500, "InternalServerError")]}
    await gql(client, FOLLOW, {"u": alice_id}, bob)
    ios = await PushDelivery.get(device__token=TOKEN_C)
    android = await PushDelivery.get(device__token="android-token-0123456789")
    for _ in range(services.settings.push_max_attempts):
        await PushDelivery.filter(id=ios.id).update(next_attempt_at=datetime.now(UTC))
        await drain(services)
    ios, android = await PushDelivery.get(id=ios.id), await PushDelivery.get(id=android.id)
    assert (ios.status, ios.attempts) == (DeliveryStatus.FAILED, services.settings.push_max_attempts)
    assert android.status == DeliveryStatus.FAILED and "stub" in android.last_error
