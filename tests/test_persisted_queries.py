"""Persisted queries: Apollo's APQ round trip (GET and POST) and the production allow-list."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid

from core.persisted_queries import sha256_hex
from schema.persisted import register_folder
from tests.conftest import override_settings
from tests.servers import ROOT, server_env


def fresh_query() -> str:
    return f"query Probe{uuid.uuid4().hex[:10]} {{ me {{ id }} }}"


def apq(digest: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_apq_post_hash_only_then_hash_and_query_then_hash_only(client):
    query = fresh_query()
    digest = hashlib.sha256(query.encode()).hexdigest()
    first = await client.post("/graphql", json={"extensions": apq(digest)})
    assert first.status_code == 200
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    second = await client.post("/graphql", json={"query": query, "extensions": apq(digest)})
    assert second.json() == {"data": {"me": None}}
    third = await client.post("/graphql", json={"extensions": apq(digest)})
    assert third.json() == {"data": {"me": None}}


async def test_apq_over_get_and_a_wrong_hash(client):
    query = fresh_query()
    digest = sha256_hex(query)
    params = {"extensions": json.dumps(apq(digest))}
    missing = await client.get("/graphql", params=params)
    assert missing.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    stored = await client.get("/graphql", params={**params, "query": query})
    assert stored.json() == {"data": {"me": None}}
    assert (await client.get("/graphql", params=params)).json() == {"data": {"me": None}}
    wrong = await client.post("/graphql", json={"query": query, "extensions": apq("0" * 64)})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["message"] == "provided sha does not match query"


async def test_allowlist_runs_only_registered_documents(client, services, app, tmp_path):
    listed = fresh_query()
    (tmp_path / "probe.graphql").write_text(listed, encoding="utf-8")
    lines, errors = await register_folder(services, app.state.schema, tmp_path)
    assert errors == [] and lines[0].startswith(sha256_hex(listed))
    other = fresh_query()
    with override_settings(services, persisted_queries="allowlist"):
        assert (await client.post("/graphql", json={"query": listed})).json() == {"data": {"me": None}}
        by_hash = await client.post("/graphql", json={"extensions": apq(sha256_hex(listed))})
        assert by_hash.json() == {"data": {"me": None}}
        for body in ({"query": other}, {"query": other, "extensions": apq(sha256_hex(other))}):
            refused = await client.post("/graphql", json=body)
            assert refused.status_code == 400
            assert refused.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
        # APQ cannot add to the list: the hash stays unknown
        unknown = await client.post("/graphql", json={"extensions": apq(sha256_hex(other))})
        assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_invalid_documents_register_nothing(services, app, tmp_path):
    good = fresh_query()
    (tmp_path / "good.graphql").write_text(good, encoding="utf-8")
    (tmp_path / "bad.graphql").write_text("{ noSuchField }", encoding="utf-8")
    lines, errors = await register_folder(services, app.state.schema, tmp_path)
    assert lines == [] and "bad.graphql" in errors[0] and "noSuchField" in errors[0]
    assert await services.redis.get(f"{services.settings.redis_namespace}:pq:allow:{sha256_hex(good)}") is None


async def test_register_queries_cli(settings, client, services, tmp_path):
    listed = fresh_query()
    (tmp_path / "q.graphql").write_text(listed, encoding="utf-8")
    env = server_env(settings, settings.redis_url)
    result = subprocess.run(
        [sys.executable, "app.py", "register-queries", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    if not settings.redis_url:  # embedded: the in-process Redis would forget at exit
        assert result.returncode == 2 and "needs REDIS_URL" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    assert sha256_hex(listed) in result.stdout and "registered 1 document(s)" in result.stdout
    with override_settings(services, persisted_queries="allowlist"):
        assert (await client.post("/graphql", json={"query": listed})).json() == {"data": {"me": None}}


async def test_the_allowlist_holds_over_the_websocket_too(client, services, app, tmp_path):
    """graphql-transport-ws can carry queries and mutations as well as subscriptions: with the
    allow-list on, a socket runs only listed documents (by text or by hash), as HTTP does; an
    unlisted one is an `error` message for its id and the socket carries on."""
    import asyncio

    from httpx_ws import aconnect_ws

    from tests.helpers import register
    from tests.test_sessions import in_process

    listed = fresh_query()
    (tmp_path / "probe.graphql").write_text(listed, encoding="utf-8")
    assert (await register_folder(services, app.state.schema, tmp_path))[1] == []
    token, user_id, _ = await register(client)
    with override_settings(services, persisted_queries="allowlist"):
        async with in_process(app) as http, aconnect_ws("/graphql", http, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
            assert (await asyncio.wait_for(ws.receive_json(), 10))["type"] == "connection_ack"
            await ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": "{ me { id email } }"}})
            refused = await asyncio.wait_for(ws.receive_json(), 10)
            assert refused["type"] == "error" and refused["id"] == "1", refused
            assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"
            await ws.send_json({"id": "2", "type": "subscribe", "payload": {"extensions": apq(sha256_hex(listed))}})
            ran = await asyncio.wait_for(ws.receive_json(), 10)
            assert ran == {"id": "2", "type": "next", "payload": {"data": {"me": {"id": user_id}}}}, ran
