"""The viewer is read from the database once, then served from a short-lived copy that every
change to the user (sign-out, password, suspension, deletion, profile, location) drops at once."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.test_sessions import ACTIONS, end_sessions
from tests.wire_sql import count_wire

POSTGRES = BACKEND == "services"
ME = "{ me { id displayName } }"
EDIT = 'mutation { updateProfile(input: {displayName: "改过的名字"}) { errors { code } } }'


async def test_a_known_token_costs_no_database_read(client):
    token, user_id, _ = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    with count_wire(POSTGRES, expect_some=False) as wire:
        assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    # Only with a shared Redis (services); embedded reads it each time (see viewer_cache.py).
    assert len(wire.statements) == (0 if POSTGRES else 1), wire.statements


@pytest.mark.parametrize("action", ACTIONS)
async def test_ending_sessions_refuses_the_cached_viewer_at_once(client, services, action):
    token, user_id, _ = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id  # now cached
    await end_sessions(action, client, services, token, user_id)
    assert (await gql(client, ME, token=token))["data"]["me"] is None


async def test_profile_changes_show_at_once(client):
    token, _, _ = await register(client, name="原来的名字")
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "原来的名字"
    assert (await gql(client, EDIT, token=token))["data"]["updateProfile"]["errors"] == []
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "改过的名字"
