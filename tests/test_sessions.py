"""Sessions end everywhere at once: logout, logoutEverywhere, changePassword, suspension and
account deletion stop the token over HTTP and close the user's open sockets (4403) within a
second, in-process and across two real `app.py serve` processes sharing Redis."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from tests.helpers import account_with_role, gql, register
from tests.servers import ROOT, running_servers, server_env, shared_redis_url

PASSWORD = "correct horse battery"
ME = "{ me { id } }"
LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token errors { code } } }"
LOGOUT = "mutation { logout { errors { code } } }"
LOGOUT_EVERYWHERE = "mutation { logoutEverywhere { errors { code } } }"
CHANGE_PASSWORD = """
mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) {
  token user { id } errors { field code } } }
"""
REPORT = """
mutation($t: ID!) { reportContent(targetId: $t, reason: HARASSMENT) { report { id } errors { code } } }
"""
SUSPEND = """
mutation($r: ID!) { moderate(reportId: $r, action: SUSPEND_USER, suspendDays: 3) { errors { code } } }
"""
LIVE = "subscription { matchRequestReceived { message } }"
ACTIONS = ["logout", "logoutEverywhere", "changePassword", "suspend", "delete"]


@asynccontextmanager
async def live_socket(http: httpx.AsyncClient, base: str, token: str) -> AsyncIterator[AsyncWebSocketSession]:
    """A signed-in socket with one subscription running."""
    async with aconnect_ws(f"{base}/graphql", http, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert (await asyncio.wait_for(ws.receive_json(), 10))["type"] == "connection_ack"
        await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": LIVE}})
        await asyncio.sleep(0.3)
        yield ws


async def close_code(ws: AsyncWebSocketSession, started: float, within: float = 1.0) -> int:
    """The close code the server sends, failing unless it comes `within` seconds of `started`."""
    try:
        message = await asyncio.wait_for(ws.receive_json(), within + 2)
    except WebSocketDisconnect as closed:
        assert time.monotonic() - started < within, f"closed after {time.monotonic() - started:.2f} s"
        return closed.code
    raise AssertionError(f"socket still open, got {message}")


async def still_open(ws: AsyncWebSocketSession) -> bool:
    await ws.send_json({"type": "ping"})
    return (await asyncio.wait_for(ws.receive_json(), 5))["type"] == "pong"


async def signed_out(http: httpx.AsyncClient, token: str) -> bool:
    """`me` is null for an ended session; a suspended account's token also says why."""
    body = await gql(http, ME, token=token, expect_errors=True)
    reasons = [error["extensions"].get("reason") for error in body.get("errors", [])]
    return body["data"]["me"] is None and reasons in ([], ["ACCOUNT_SUSPENDED"])


async def end_sessions(action: str, http: httpx.AsyncClient, services: Any, token: str, user_id: str) -> None:
    """End the user's session(s) the way `action` does, through the API or the deletion CLI's function."""
    if action == "logout":
        assert (await gql(http, LOGOUT, token=token))["data"]["logout"]["errors"] == []
    elif action == "logoutEverywhere":
        body = await gql(http, LOGOUT_EVERYWHERE, token=token)
        assert body["data"]["logoutEverywhere"]["errors"] == []
    elif action == "changePassword":
        body = await gql(http, CHANGE_PASSWORD, {"c": PASSWORD, "n": "a new long passphrase"}, token)
        assert body["data"]["changePassword"]["errors"] == []
    elif action == "suspend":
        moderator, _ = await account_with_role(http, services)
        report = (await gql(http, REPORT, {"t": user_id}, moderator))["data"]["reportContent"]["report"]
        body = await gql(http, SUSPEND, {"r": report["id"]}, moderator)
        assert body["data"]["moderate"]["errors"] == []
    else:
        from models.accounts import User
        from resolvers.accounts.personal_data import delete_user
        from schema.ids import decode

        await delete_user(services, await User.get(id=decode(user_id, "User", "id")))


async def delete_with_cli(settings: Any, email: str) -> None:
    command = [sys.executable, "app.py", "delete-user", "--email", email, "--yes"]
    env = server_env(settings, shared_redis_url(settings))
    done = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()


@asynccontextmanager
async def in_process(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with ASGIWebSocketTransport(app=app) as transport:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize("action", ACTIONS)
async def test_ending_a_session_closes_the_users_sockets_at_once(app, client, services, action):
    token, user_id, _ = await register(client)
    bystander, _, _ = await register(client)
    async with in_process(app) as ws_http:
        async with (
            live_socket(ws_http, "", token) as mine,
            live_socket(ws_http, "", bystander) as theirs,
        ):
            started = time.monotonic()
            await end_sessions(action, client, services, token, user_id)
            assert await close_code(mine, started) == 4403
            assert await still_open(theirs)
    assert await signed_out(client, token)
    assert (await gql(client, ME, token=bystander))["data"]["me"] is not None


async def test_logout_signs_out_only_this_device(app, client):
    phone, _, email = await register(client)
    tablet = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["token"]
    async with in_process(app) as ws_http:
        async with live_socket(ws_http, "", phone) as on_phone, live_socket(ws_http, "", tablet) as on_tablet:
            started = time.monotonic()
            await gql(client, LOGOUT, token=phone)
            assert await close_code(on_phone, started) == 4403
            assert await still_open(on_tablet)
    assert (await gql(client, ME, token=phone))["data"]["me"] is None
    assert (await gql(client, ME, token=tablet))["data"]["me"] is not None
    again = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["token"]
    assert (await gql(client, ME, token=again))["data"]["me"] is not None


async def test_change_password_keeps_this_device_and_signs_out_the_others(client):
    phone, user_id, email = await register(client)
    tablet = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]["token"]
    wrong = await gql(client, CHANGE_PASSWORD, {"c": "not my password", "n": "a new long passphrase"}, phone)
    assert wrong["data"]["changePassword"]["errors"] == [
        {"field": "currentPassword", "code": "INVALID_CREDENTIALS"}
    ]
    weak = await gql(client, CHANGE_PASSWORD, {"c": PASSWORD, "n": "short"}, phone)
    assert weak["data"]["changePassword"]["errors"][0]["code"] == "WEAK_PASSWORD"
    assert (await gql(client, ME, token=tablet))["data"]["me"] is not None  # nothing half-done

    changed = (await gql(client, CHANGE_PASSWORD, {"c": PASSWORD, "n": "a new long passphrase"}, phone))[
        "data"
    ]["changePassword"]
    assert changed["errors"] == [] and changed["user"]["id"] == user_id
    assert (await gql(client, ME, token=changed["token"]))["data"]["me"]["id"] == user_id
    for old in (phone, tablet):
        assert (await gql(client, ME, token=old))["data"]["me"] is None
    old_password = (await gql(client, LOGIN, {"e": email, "p": PASSWORD}))["data"]["login"]
    assert old_password["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    new_password = (await gql(client, LOGIN, {"e": email, "p": "a new long passphrase"}))["data"]["login"]
    assert new_password["errors"] == []


async def test_session_mutations_need_a_viewer(client):
    for document in (LOGOUT, LOGOUT_EVERYWHERE):
        body = await gql(client, document, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    body = await gql(client, CHANGE_PASSWORD, {"c": "x", "n": "y"}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_sessions_end_on_every_process(settings, app, services):
    """Sockets on process two close within a second of each ending on process one (or the CLI)."""
    with running_servers(settings, 2) as (first, second):
        async with (
            httpx.AsyncClient(base_url=first, timeout=20) as one,
            httpx.AsyncClient(base_url=second, timeout=20) as two,
        ):
            for action in ACTIONS:
                token, user_id, email = await register(one)
                async with live_socket(two, second, token) as ws:
                    if action == "delete":
                        # The real CLI in its own process: the test's own services may not share
                        # the servers' Redis (the embedded backend uses an in-process stand-in).
                        await delete_with_cli(settings, email)
                        started = time.monotonic()
                    else:
                        started = time.monotonic()
                        await end_sessions(action, one, services, token, user_id)
                    assert await close_code(ws, started) == 4403, action
                assert await signed_out(two, token), action


async def test_live_connections_and_subscriptions_are_bounded(app, client):
    """Each subscription holds a Redis connection: one client can't open them without end. The
    sixth socket of one person is closed (4429), the 21st operation on a socket gets an error,
    and another person is not affected."""
    from schema.live import MAX_SOCKETS_PER_USER, MAX_SUBSCRIPTIONS_PER_SOCKET

    token, _, _ = await register(client)
    other, _, _ = await register(client)
    async with in_process(app) as ws_http, contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(live_socket(ws_http, "", token)) for _ in range(MAX_SOCKETS_PER_USER)
        ]
        async with aconnect_ws("/graphql", ws_http, subprotocols=["graphql-transport-ws"]) as extra:
            await extra.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            with pytest.raises(WebSocketDisconnect) as closed:
                for _ in range(2):  # the acknowledgement may come first, then the close
                    await asyncio.wait_for(extra.receive_json(), 10)
            assert closed.value.code == 4429
        first = sockets[0]  # one subscription running already
        for n in range(2, MAX_SUBSCRIPTIONS_PER_SOCKET + 2):
            await first.send_json({"id": str(n), "type": "subscribe", "payload": {"query": LIVE}})
        refused = await asyncio.wait_for(first.receive_json(), 10)
        assert refused["type"] == "error" and refused["id"] == str(MAX_SUBSCRIPTIONS_PER_SOCKET + 1), refused
        assert await still_open(first)
        async with live_socket(ws_http, "", other) as theirs:
            assert await still_open(theirs)
    # Without a token there is nothing to subscribe to: the socket is refused (4403).
    async with in_process(app) as ws_http, aconnect_ws("/graphql", ws_http, subprotocols=["graphql-transport-ws"]) as anon:
        await anon.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            await asyncio.wait_for(anon.receive_json(), 10)
        assert closed.value.code == 4403
    # Sockets closed, slots free again.
    async with in_process(app) as ws_http, live_socket(ws_http, "", token) as again:
        assert await still_open(again)


async def test_a_socket_that_never_initialises_is_closed_soon(app):
    """Sockets that never send connection_init held a slot for strawberry's minute: 10 s now."""
    from schema.live import INIT_WAIT

    started = time.monotonic()
    async with in_process(app) as ws_http, aconnect_ws("/graphql", ws_http, subprotocols=["graphql-transport-ws"]) as idle:
        with pytest.raises(WebSocketDisconnect) as closed:
            await asyncio.wait_for(idle.receive_json(), INIT_WAIT.total_seconds() + 5)
        assert closed.value.code == 4408
    assert time.monotonic() - started < INIT_WAIT.total_seconds() + 3
