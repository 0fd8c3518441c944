"""Round 12: the request layer under a hostile client, each case found against a real `serve`.

- a request id header of non-UTF-8 bytes was a 500 before anything ran;
- one WebSocket message could be 16 MiB (uvicorn's default): sixty unauthenticated sockets each
  sending a 15 MB connection_init took a worker past 1.1 GB, kept after they closed;
- per-address budgets (sign-ins, registrations) were bought afresh by a client that rotated the
  low bits of its IPv6 address, or that sent its own X-Forwarded-For line above the proxy's;
- automatic persisted queries stored any text, unauthenticated and without bound (20 000
  registrations grew an embedded worker by 256 MB, for 7 days).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import socket
import time
import uuid

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, WebSocketUpgradeError, aconnect_ws

from tests.conftest import override_settings
from tests.servers import running_servers

REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }"


def _registration() -> dict:
    return {
        "query": REGISTER,
        "variables": {
            "i": {
                "email": f"r12-{uuid.uuid4().hex[:10]}@example.com",
                "password": "correct horse battery",
                "displayName": "小李",
            }
        },
    }


async def _register_code(app, client_address: str, headers: list[tuple[str, str]] | None = None) -> list[str]:
    transport = httpx.ASGITransport(app=app, client=(client_address, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json=_registration(), headers=headers or [])
    assert response.status_code == 200, response.text
    return [e["code"] for e in response.json()["data"]["register"]["errors"]]


# ------------------------------------------------------------------ request id header


@pytest.mark.parametrize(
    "given",
    [b"\xff\xfe", "订单123".encode(), b"a" * 65, b"abc def", b"--"],
    ids=["not utf-8", "chinese", "too long", "space", "dashes only"],
)
async def test_a_hostile_request_id_header_is_replaced_not_a_500(client, given):
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=[(b"x-request-id", given)]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {"__typename": "Query"}}
    echoed = response.headers["x-request-id"]
    assert echoed.encode() != given and len(echoed) == 16 and echoed.isascii() and echoed.isalnum()


async def test_a_proxys_uuid_request_id_is_kept(client):
    given = str(uuid.uuid4())
    response = await client.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given


# ------------------------------------------------------------------ per-address budgets


async def test_rotating_the_low_bits_of_an_ipv6_address_buys_no_fresh_budget(app, services):
    prefix = f"2001:db8:{uuid.uuid4().int % 65535:x}:1"
    with override_settings(services, rate_limit_registrations_per_hour=2):
        codes = [await _register_code(app, f"{prefix}::{n:x}") for n in range(1, 5)]
        # another subscriber (another /64) has its own budget
        other = await _register_code(app, f"2001:db8:{uuid.uuid4().int % 65535:x}:2::1")
    assert codes == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]
    assert other == []


async def test_an_ipv4_mapped_address_counts_as_the_ipv4_address(app, services):
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
    with override_settings(services, rate_limit_registrations_per_hour=2):
        codes = [
            await _register_code(app, address),
            await _register_code(app, f"::ffff:{address}"),
            await _register_code(app, address),
        ]
    assert codes == [[], [], ["RATE_LIMITED"]]


async def test_the_client_cannot_pick_its_address_with_its_own_forwarded_for_line(app, services):
    """Behind a proxy that adds its own X-Forwarded-For line (HAProxy's `option forwardfor`)
    below the client's, the proxy's line is the one that counts, not the first."""
    proxy_saw = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    with override_settings(services, trust_forwarded_for=True, rate_limit_registrations_per_hour=2):
        codes = [
            await _register_code(
                app,
                "10.0.0.2",
                [("X-Forwarded-For", f"198.51.100.{n}"), ("X-Forwarded-For", proxy_saw)],
            )
            for n in range(1, 5)
        ]
        # one merged line (nginx's $proxy_add_x_forwarded_for) reads the same
        merged = await _register_code(app, "10.0.0.2", [("X-Forwarded-For", f"198.51.100.9, {proxy_saw}")])
    assert codes == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]
    assert merged == ["RATE_LIMITED"]


@pytest.mark.parametrize(
    "form", ["203.0.113.{n}:{port}", "[2001:db8:{n:x}::{port:x}]:{port}"], ids=["ipv4", "ipv6"]
)
async def test_a_port_after_the_forwarded_address_is_not_a_new_client(app, services, form):
    """Some proxies (Azure Application Gateway) write the client's port after its address."""
    n = uuid.uuid4().int % 250 + 1
    lines = [form.format(n=n, port=port) for port in (1001, 1002, 1003)]
    with override_settings(services, trust_forwarded_for=True, rate_limit_registrations_per_hour=2):
        codes = [await _register_code(app, "10.0.0.3", [("X-Forwarded-For", line)]) for line in lines]
    assert codes == [[], [], ["RATE_LIMITED"]]


async def test_sign_ins_from_one_ipv6_block_share_one_budget(app, services):
    prefix = f"2001:db8:{uuid.uuid4().int % 65535:x}:7"
    query = 'mutation($e: String!) { login(email: $e, password: "wrong password 1") { errors { code } } }'
    codes = []
    with override_settings(services, rate_limit_logins_per_minute=1):  # 3 attempts a minute
        for n in range(1, 6):
            transport = httpx.ASGITransport(app=app, client=(f"{prefix}::{n}", 4321))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
                response = await http.post("/graphql", json={"query": query, "variables": {"e": email}})
            codes.append([e["code"] for e in response.json()["data"]["login"]["errors"]])
    assert codes[:3] == [["INVALID_CREDENTIALS"]] * 3
    assert codes[3:] == [["RATE_LIMITED"]] * 2


# ------------------------------------------------------------------ WebSocket message size


async def test_a_websocket_message_is_held_to_the_request_body_limit(settings, app):
    """A real `serve`: one message past MAX_REQUEST_BYTES closes the socket (1009, message too
    big) before it is decoded; an ordinary connection_init is still answered."""
    with running_servers(settings, 1, extra_env={"MAX_REQUEST_BYTES": "65536"}, shared_redis=False) as (url,):
        ws_url = url.replace("http://", "ws://") + "/graphql"
        async with httpx.AsyncClient(timeout=30) as http:
            async with aconnect_ws(
                ws_url, http, subprotocols=["graphql-transport-ws"], max_message_size_bytes=2**24
            ) as ws:
                await ws.send_text(json.dumps({"type": "connection_init", "payload": {"x": "饭" * 300_000}}))
                with pytest.raises(WebSocketDisconnect) as closed:
                    await asyncio.wait_for(ws.receive_text(), 15)
            assert closed.value.code == 1009
            async with aconnect_ws(ws_url, http, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_text(
                    json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer x"}})
                )
                with pytest.raises(WebSocketDisconnect) as refused:
                    await asyncio.wait_for(ws.receive_text(), 15)
            assert refused.value.code == 4403  # the usual answer to a bad token: the socket was read
            assert (await http.get(f"{url}/healthz")).status_code == 200


# ------------------------------------------------------------------ subscriptions over HTTP

SUBSCRIBE = "subscription { notificationReceived { id } }"


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_subscription_over_http_is_a_request_error_not_an_internal_one(client, method, caplog):
    if method == "POST":
        response = await client.post("/graphql", json={"query": SUBSCRIBE})
    else:
        response = await client.get("/graphql", params={"query": SUBSCRIBE})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_REQUEST"]
    assert "WebSocket" in body["errors"][0]["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    strict = await client.post(
        "/graphql", json={"query": SUBSCRIBE}, headers={"Accept": "application/graphql-response+json"}
    )
    assert strict.status_code == 400 and "data" not in strict.json()


# ------------------------------------------------------------------ metrics labels


def _operation_labels(metrics_text: str) -> set[str]:
    return set(re.findall(r'^tablemates_graphql_operations_total\{operation="([^"]*)"', metrics_text, re.M))


async def test_operation_names_a_client_makes_up_do_not_grow_the_metrics_without_bound(client):
    from schema import observe

    kept_before = set(observe._named)
    run = uuid.uuid4().hex[:6]
    try:
        for n in range(observe.MAX_OPERATION_NAMES + 20):
            response = await client.post("/graphql", json={"query": f"query Made{run}x{n} {{ __typename }}"})
            assert response.json() == {"data": {"__typename": "Query"}}
        long_name = "L" * (observe.MAX_NAME_LENGTH + 1)
        await client.post("/graphql", json={"query": f"query {long_name} {{ __typename }}"})
        labels = _operation_labels((await client.get("/metrics")).text)
    finally:  # the names other tests' operations need stay free
        observe._named.intersection_update(kept_before)
    made = {label for label in labels if label.startswith(f"Made{run}x")}
    assert len(made) + len(kept_before) == observe.MAX_OPERATION_NAMES
    assert observe.OTHER in labels and long_name not in labels


# ------------------------------------------------------------------ automatic persisted queries


async def test_one_address_keeps_a_bounded_number_of_sockets_that_never_say_who_they_are(settings, app):
    """A real `serve`: sockets that never send connection_init each hold ~0.3 MB for INIT_WAIT;
    one address keeps at most MAX_WAITING_SOCKETS_PER_ADDRESS of them, the next is refused at
    the handshake, and a socket that says who it is frees its place at once."""
    from schema.view import MAX_WAITING_SOCKETS_PER_ADDRESS

    with running_servers(settings, 1, shared_redis=False) as (url,):
        ws_url = url.replace("http://", "ws://") + "/graphql"
        async with contextlib.AsyncExitStack() as stack, httpx.AsyncClient(timeout=30) as http:
            sockets = [
                await stack.enter_async_context(
                    aconnect_ws(ws_url, http, subprotocols=["graphql-transport-ws"])
                )
                for _ in range(MAX_WAITING_SOCKETS_PER_ADDRESS)
            ]
            with pytest.raises(WebSocketUpgradeError) as refused:
                async with aconnect_ws(ws_url, http, subprotocols=["graphql-transport-ws"]):
                    pass
            assert refused.value.response.status_code == 403
            # one of them says who it is (a bad token: closed 4403) and its place is free again
            await sockets[0].send_text(
                json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer x"}})
            )
            with pytest.raises(WebSocketDisconnect):
                await asyncio.wait_for(sockets[0].receive_text(), 15)
            async with aconnect_ws(ws_url, http, subprotocols=["graphql-transport-ws"]) as again:
                await again.send_text(json.dumps({"type": "connection_init", "payload": {}}))
                with pytest.raises(WebSocketDisconnect) as anonymous:
                    await asyncio.wait_for(again.receive_text(), 15)
                assert anonymous.value.code == 4403
            assert (await http.get(f"{url}/healthz")).status_code == 200


def _apq(query: str, with_text: bool = True) -> dict:
    digest = hashlib.sha256(query.encode()).hexdigest()
    body: dict = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    return {"query": query, **body} if with_text else body


async def _post_from(app, address: str, body: dict) -> dict:
    transport = httpx.ASGITransport(app=app, client=(address, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post("/graphql", json=body)
    return response.json()


def _kept(answer: dict) -> bool:
    if answer == {"data": {"me": None}}:
        return True
    assert answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", answer
    return False


async def test_apq_keeps_only_documents_that_validate(app):
    address = f"198.18.{uuid.uuid4().int % 250}.1"
    junk = f"# {uuid.uuid4().hex}\n{{ noSuchField }}"
    refused = await _post_from(app, address, _apq(junk))
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    later = await _post_from(app, address, _apq(junk, with_text=False))
    assert later["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    good = f"query Mine{uuid.uuid4().hex[:8]} {{ me {{ id }} }}"
    assert await _post_from(app, address, _apq(good)) == {"data": {"me": None}}
    assert _kept(await _post_from(app, address, _apq(good, with_text=False)))


async def test_apq_storing_is_budgeted_per_address_and_the_operation_still_runs(app):
    from core.persisted_queries import APQ_STORES_PER_ADDRESS_PER_DAY

    address = f"198.19.{uuid.uuid4().int % 250}.1"
    documents = [
        f"query Q{uuid.uuid4().hex[:12]} {{ me {{ id }} }}" for _ in range(APQ_STORES_PER_ADDRESS_PER_DAY + 2)
    ]
    for document in documents:  # every one runs, stored or not
        assert await _post_from(app, address, _apq(document)) == {"data": {"me": None}}
    kept = [_kept(await _post_from(app, address, _apq(d, with_text=False))) for d in documents]
    assert kept == [True] * APQ_STORES_PER_ADDRESS_PER_DAY + [False, False]
    # another address still registers, and sending a stored text again spends nothing
    other = f"query Other{uuid.uuid4().hex[:8]} {{ me {{ id }} }}"
    assert await _post_from(app, "198.20.0.1", _apq(other)) == {"data": {"me": None}}
    assert _kept(await _post_from(app, "198.20.0.1", _apq(other, with_text=False)))


async def test_apq_storing_has_one_budget_for_everyone(app, services):
    from core.persisted_queries import APQ_STORES_PER_DAY

    key = services.limiter._key("apq-store", 24 * 3600)
    await services.redis.set(key, APQ_STORES_PER_DAY, ex=24 * 3600 + 1)
    try:
        document = f"query Late{uuid.uuid4().hex[:8]} {{ me {{ id }} }}"
        assert await _post_from(app, "198.21.0.1", _apq(document)) == {"data": {"me": None}}
        assert not _kept(await _post_from(app, "198.21.0.1", _apq(document, with_text=False)))
    finally:
        await services.redis.delete(key)


@pytest.mark.parametrize("digest", ["a" * 60_000, "g" * 64, "A" * 63])
async def test_apq_hashes_that_are_not_sha256_are_bad_requests(client, digest):
    body = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# ------------------------------------------------------------------ /readyz


async def test_readyz_names_the_failing_store_but_not_its_address(client, services, caplog):
    """/readyz is on the public port: it says which store fails and how (the error's kind), and
    the error's text (host, port) goes to the log only."""
    import redis.asyncio as redis_asyncio

    working = services.redis
    services.redis = redis_asyncio.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        with caplog.at_level("WARNING", logger="tablemates.health"):
            response = await client.get("/readyz")
    finally:
        await services.redis.aclose()
        services.redis = working
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"] in ("error: ConnectionError", "error: TimeoutError"), checks
    assert "127.0.0.1" not in response.text and ":1" not in response.text
    assert any("127.0.0.1" in record.getMessage() for record in caplog.records)


# ------------------------------------------------------------------ request line and headers


def _raw_request(port: int, head_start: bytes, filler: int) -> bytes:
    """Send a request head that never ends (filler bytes in 64 KiB chunks); the server's answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as raw:
        raw.sendall(head_start)
        try:
            for _ in range(filler // 65536):
                raw.sendall(b"a" * 65536)
        except OSError:
            pass  # closed on us: the answer is already there
        try:
            return raw.recv(4096)
        except OSError:
            return b""


async def test_a_request_line_or_header_past_64_kib_is_431_and_the_worker_stays_free(settings, app):
    """A real `serve`: uvicorn's httptools protocol grew the URL and a header without bound (a
    200 MB URL held a worker at 100 % CPU); now the head is cut at 64 KiB with a 431, while long
    ordinary heads (a 30 KB query string, 40 KB of headers on a kept-alive connection) pass."""
    with running_servers(settings, 1, shared_redis=False) as (url,):
        port = int(url.rsplit(":", 1)[1])
        long_url = await asyncio.to_thread(_raw_request, port, b"GET /graphql?query=", 8 * 2**20)
        assert long_url.startswith(b"HTTP/1.1 431 "), long_url[:100]
        long_header = await asyncio.to_thread(
            _raw_request, port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", 8 * 2**20
        )
        assert long_header.startswith(b"HTTP/1.1 431 "), long_header[:100]
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            assert (await http.get("/healthz")).status_code == 200
            padded = await http.get("/graphql", params={"query": "{ __typename }", "pad": "x" * 30_000})
            assert padded.json() == {"data": {"__typename": "Query"}}
            for _ in range(3):  # one connection: each request's head counted on its own
                answer = await http.get(
                    "/graphql", params={"query": "{ __typename }"}, headers={"X-Pad": "y" * 40_000}
                )
                assert answer.json() == {"data": {"__typename": "Query"}}


def _answer_after(port: int, parts: list[bytes], pause: float) -> bytes:
    """Send a request in parts with a pause between them; the server's first answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=40) as raw:
        for n, part in enumerate(parts):
            if n:
                time.sleep(pause)
            raw.sendall(part)
        return raw.recv(4096)


async def test_a_request_head_that_never_ends_is_408_after_its_deadline(settings, app):
    """A real `serve`: a client that starts a request and stops sending held its connection for
    ever; now the head must end HEAD_READ_SECONDS after its first byte. A slow but finished
    head is served."""
    from core.http_protocol import HEAD_READ_SECONDS

    assert HEAD_READ_SECONDS == 20  # the default; the server below is given 4 s to keep this short
    deadline = 4

    with running_servers(settings, 1, {"HEAD_READ_SECONDS": str(deadline)}, shared_redis=False) as (url,):
        port = int(url.rsplit(":", 1)[1])
        started = time.monotonic()
        stuck, slow = await asyncio.gather(
            asyncio.to_thread(_answer_after, port, [b"GET /healthz HTTP/1.1\r\nHost: x\r\n"], 0),
            asyncio.to_thread(_answer_after, port, [b"GET /healthz HTTP/1.1\r\n", b"Host: x\r\n\r\n"], 2),
        )
        assert stuck.startswith(b"HTTP/1.1 408 "), stuck[:100]
        assert deadline - 1 < time.monotonic() - started < deadline + 10
        assert slow.startswith(b"HTTP/1.1 200 ") and slow.endswith(b"ok"), slow[:200]


async def test_a_body_still_arriving_after_its_deadline_is_408(app, monkeypatch):
    """1 000 clients each sending part of a body and then nothing held 42 MB and their requests
    open for as long as they liked; a body now has BODY_READ_SECONDS to arrive."""
    from schema import http_body

    monkeypatch.setattr(http_body, "BODY_READ_SECONDS", 0.5)

    async def trickle():
        yield b'{"query": "'
        await asyncio.sleep(5)
        yield b'{ __typename }"}'

    transport = httpx.ASGITransport(app=app, client=("10.11.0.1", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        started = time.monotonic()
        response = await http.post(
            "/graphql", content=trickle(), headers={"content-type": "application/json"}
        )
        assert time.monotonic() - started < 4
        assert response.status_code == 408
        assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
        assert response.headers["connection"] == "close"
        quick = await http.post("/graphql", json={"query": "{ __typename }"})
        assert quick.json() == {"data": {"__typename": "Query"}}
