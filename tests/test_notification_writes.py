"""Notification settings, read marks and push devices are writes like any other: they count against
the per-minute budget; and one person keeps at most MAX_DEVICES phones, so fake tokens can't
multiply every push sent to them."""

from __future__ import annotations

from resolvers.notifications.push import MAX_DEVICES
from tests.conftest import override_settings
from tests.helpers import gql, register
from tests.test_push import DEVICES, REGISTER, SET_PREF, UNREGISTER

READ_ALL = "mutation { markNotificationsRead { errors { code } } }"


async def test_notification_writes_count_against_the_write_budget(client, services):
    token, _, _ = await register(client)
    cases = [
        (SET_PREF, {}, "setNotificationPreference"),
        (READ_ALL, {}, "markNotificationsRead"),
        (REGISTER, {"p": "IOS", "t": "d4" * 32}, "registerPushDevice"),
    ]
    for document, variables, name in cases:
        with override_settings(services, rate_limit_writes_per_minute=2):
            answers = [await gql(client, document, variables, token) for _ in range(4)]
        codes = [[e["code"] for e in a["data"][name]["errors"]] for a in answers]
        assert ["RATE_LIMITED"] in codes, (name, codes)
    # Signing a phone out is never refused by the budget: it stops pushes.
    with override_settings(services, rate_limit_writes_per_minute=1):
        for _ in range(3):
            gone = await gql(client, UNREGISTER, {"t": "d4" * 32}, token)
            assert gone["data"]["unregisterPushDevice"]["errors"] in ([], [{"code": "NOT_FOUND"}])


async def test_one_person_keeps_their_most_recent_phones_only(client):
    token, _, _ = await register(client)
    tokens = [f"{i:02x}" * 32 for i in range(MAX_DEVICES + 3)]
    for device in tokens:
        body = await gql(client, REGISTER, {"p": "IOS", "t": device}, token)
        assert body["data"]["registerPushDevice"]["errors"] == []
    kept = (await gql(client, DEVICES, token=token))["data"]["myPushDevices"]
    assert len(kept) == MAX_DEVICES
