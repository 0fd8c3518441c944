"""The viewer is read from the database once, then served from a short-lived copy that every
change to the user (sign-out, password, suspension, deletion, profile, location) drops at once."""

from __future__ import annotations

import base64
from contextlib import contextmanager

import pytest

from tests.conftest import BACKEND
from tests.helpers import account_with_role, gql, register
from tests.test_sessions import ACTIONS, end_sessions, signed_out
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
    assert await signed_out(client, token)


async def test_profile_changes_show_at_once(client):
    token, _, _ = await register(client, name="原来的名字")
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "原来的名字"
    assert (await gql(client, EDIT, token=token))["data"]["updateProfile"]["errors"] == []
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "改过的名字"


# ---- round 5: a viewer new to the process, answered from the Redis snapshot (no SQL)

FULL_ME = "{ me { id displayName bio role cuisines dietary spiceLevel budgetLevel discoverable } }"


def new_process() -> None:
    """As if the next request reached another process: no in-memory copies."""
    from resolvers.accounts import viewer_cache

    viewer_cache._copies.clear()
    viewer_cache._verified.clear()


@contextmanager
def redis_round_trips(services):
    """Commands and pipelines sent to Redis by this test's app."""
    sent: list[str] = []
    redis = services.redis
    command, pipeline = redis.execute_command, redis.pipeline

    async def counted_command(*args, **kwargs):
        sent.append(str(args[0]))
        return await command(*args, **kwargs)

    def counted_pipeline(*args, **kwargs):
        sent.append("pipeline")
        return pipeline(*args, **kwargs)

    redis.execute_command, redis.pipeline = counted_command, counted_pipeline
    try:
        yield sent
    finally:
        del redis.execute_command, redis.pipeline


async def test_a_token_new_to_the_process_costs_no_sql_when_redis_knows_the_viewer(client, services):
    token, user_id, _ = await register(client)
    read_from_database = await gql(client, FULL_ME, token=token)  # writes the snapshot
    new_process()
    with count_wire(POSTGRES, expect_some=not POSTGRES) as wire, redis_round_trips(services) as sent:
        answer = await gql(client, FULL_ME, token=token)
    assert answer == read_from_database and answer["data"]["me"]["id"] == user_id
    assert len(wire.statements) == (0 if POSTGRES else 1), wire.statements
    if POSTGRES:  # one HMGET: the generation and the snapshot together
        assert [c for c in sent if c != "EVALSHA"] == ["HMGET"], sent


@pytest.mark.parametrize("action", ACTIONS)
async def test_ending_sessions_refuses_a_snapshot_cached_elsewhere_at_once(client, services, action):
    token, user_id, _ = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id  # snapshot written
    new_process()
    with count_wire(POSTGRES, expect_some=not POSTGRES) as wire:
        assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    assert len(wire.statements) == (0 if POSTGRES else 1)  # served from the snapshot
    await end_sessions(action, client, services, token, user_id)
    new_process()
    assert await signed_out(client, token)


async def test_a_profile_edit_shows_at_once_through_the_snapshot(client):
    token, _, _ = await register(client, name="原来的名字")
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "原来的名字"
    new_process()
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "原来的名字"
    assert (await gql(client, EDIT, token=token))["data"]["updateProfile"]["errors"] == []
    new_process()
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "改过的名字"
    new_process()  # and the snapshot written after that read has it too
    assert (await gql(client, ME, token=token))["data"]["me"]["displayName"] == "改过的名字"


async def test_one_device_signing_out_leaves_the_snapshot_vouching_for_no_other_session(client, services):
    token, user_id, email = await register(client)
    body = await gql(
        client,
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        {"e": email, "p": "correct horse battery"},
    )
    other = body["data"]["login"]["token"]
    for each in (token, other):  # both sessions vouched for by the snapshot
        assert (await gql(client, ME, token=each))["data"]["me"]["id"] == user_id
    await end_sessions("logout", client, services, token, user_id)
    new_process()
    assert (await gql(client, ME, token=token))["data"]["me"] is None
    assert (await gql(client, ME, token=other))["data"]["me"]["id"] == user_id


@pytest.mark.skipif(not POSTGRES, reason="snapshots only with a shared Redis")
async def test_a_snapshot_cannot_be_moved_to_another_user_or_edited(client, services):
    from resolvers.accounts import viewer_cache
    from schema.ids import decode

    mallory, mallory_id, _ = await register(client, name="mallory")
    admin, _ = await account_with_role(client, services, "admin")
    admin_id = (await gql(client, "{ me { id } }", token=admin))["data"]["me"]["id"]
    assert (await gql(client, ME, token=mallory))["data"]["me"]["id"] == mallory_id
    redis = services.redis
    mine = viewer_cache._key(services, decode(mallory_id, "User", "id"))
    theirs = viewer_cache._key(services, decode(admin_id, "User", "id"))
    # The admin's snapshot copied under mallory's key: it was sealed for the admin's key.
    await redis.hset(mine, "u", await redis.hget(theirs, "u"))
    new_process()
    assert (await gql(client, ME, token=mallory))["data"]["me"]["id"] == mallory_id
    # Mallory's own snapshot, sealed: nothing of it readable in Redis; one bit flipped and it
    # no longer opens.
    raw = await redis.hget(mine, "u")
    assert "mallory" not in raw and "role" not in raw and "@" not in raw
    sealed = bytearray(base64.b64decode(raw))
    sealed[-20] ^= 1
    await redis.hset(mine, "u", base64.b64encode(bytes(sealed)).decode())
    new_process()
    with count_wire(POSTGRES) as wire:
        me = (await gql(client, "{ me { id role } }", token=mallory))["data"]["me"]
    assert me == {"id": mallory_id, "role": "DINER"} and wire.statements  # read from the database


@pytest.mark.skipif(not POSTGRES, reason="snapshots only with a shared Redis")
async def test_a_snapshot_does_not_answer_for_another_database(client, services):
    """A database recreated (or another one on the same Redis namespace): user ids start again,
    and the old database's snapshot of "user 1" must not answer for the new one's."""
    from resolvers.accounts import viewer_cache

    token, user_id, _ = await register(client, name="first-life")
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id  # snapshot sealed
    url = services.settings.database_url
    kept = viewer_cache._database_epochs[url]
    try:
        viewer_cache._database_epochs[url] = "another database"
        new_process()
        with count_wire(POSTGRES) as wire:
            assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
        assert wire.statements  # the snapshot did not open: the user read from this database
    finally:
        viewer_cache._database_epochs[url] = kept


async def test_the_me_lines_two_counts_are_one_statement(client):
    """bench/session.lua's `me` line: followersCount and followingCount from one loader."""
    me_line = "{ me { id displayName followersCount followingCount } }"
    token, user_id, _ = await register(client)
    other, other_id, _ = await register(client)
    follow = "mutation($id: ID!) { follow(userId: $id) { errors { code } } }"
    assert (await gql(client, follow, {"id": other_id}, token))["data"]["follow"]["errors"] == []
    assert (await gql(client, follow, {"id": user_id}, other))["data"]["follow"]["errors"] == []
    await gql(client, me_line, token=token)  # the viewer cached
    with count_wire(POSTGRES) as wire:
        me = (await gql(client, me_line, token=token))["data"]["me"]
    assert (me["followersCount"], me["followingCount"]) == (1, 1)
    counts = [s for s in wire.statements if "follows" in s.lower()]
    assert len(counts) == 1, wire.statements


@pytest.mark.skipif(not POSTGRES, reason="snapshots only with a shared Redis")
async def test_an_old_snapshot_is_not_trusted(client, monkeypatch):
    import time
    from types import SimpleNamespace

    from resolvers.accounts import viewer_cache

    token, user_id, _ = await register(client)
    assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    later = time.time() + viewer_cache.SNAPSHOT_SECONDS + 60
    monkeypatch.setattr(viewer_cache, "time", SimpleNamespace(time=lambda: later, monotonic=time.monotonic))
    new_process()
    with count_wire(POSTGRES) as wire:
        assert (await gql(client, ME, token=token))["data"]["me"]["id"] == user_id
    assert wire.statements  # read from the database again (and the snapshot rewritten)


async def test_a_viewer_from_the_snapshot_is_the_user_tortoise_builds(client, services):
    """The snapshot's user is built without `User(**row)` (issue 18): the same values, types and
    flags, and a save through it names its fields (no password hash in a snapshot)."""
    from models.accounts import User
    from resolvers.accounts import viewer_cache

    token, user_id, _ = await register(client, name="快照")
    assert (await gql(client, EDIT, token=token))["data"]["updateProfile"]["errors"] == []
    pk = int(base64.b64decode(user_id).decode().split(":")[1])
    stored = await User.get(id=pk)
    row = {name: getattr(stored, name) for name in viewer_cache.SNAPSHOT_FIELDS}
    built, expected = viewer_cache._user_of(row), User(**row)
    expected._saved_in_db, expected._partial = True, True
    assert built.__dict__ == expected.__dict__
    assert built.password_hash is None and built._partial
    built.display_name = "快照改名"
    await built.save(update_fields=["display_name"])
    assert (await User.get(id=pk)).display_name == "快照改名"
    copied = viewer_cache._copy(built)
    assert copied.__dict__ == built.__dict__ and copied.cuisines is not built.cuisines
