"""Operations: JSON logs with request id, viewer and operation; metrics; slow-query log;
graceful shutdown; reads routed to a replica. Each runs a real `app.py serve` process."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from httpx_ws import aconnect_ws

from tests.helpers import REGISTER, gql
from tests.servers import ROOT, free_port, migrated_sqlite, server_env


@contextmanager
def serve(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    try:
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


async def test_json_logs_metrics_and_slow_queries(settings, app):
    env = {**server_env(settings, settings.redis_url), "LOG_FORMAT": "json", "SLOW_QUERY_MS": "0"}
    with serve(env) as (url, process):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            body = await gql(
                http,
                REGISTER,
                {
                    "input": {
                        "email": f"log-{time.time_ns()}@example.com",
                        "password": "correct horse battery",
                        "displayName": "日志",
                    }
                },
            )
            token, user_id = body["data"]["register"]["token"], body["data"]["register"]["user"]["id"]
            response = await http.post(
                "/graphql",
                json={"query": "query WhoAmI { me { id } }", "operationName": "WhoAmI"},
                headers={"Authorization": f"Bearer {token}", "X-Request-Id": "trace42abc"},
            )
            assert response.headers["x-request-id"] == "trace42abc"
            metrics = (await http.get("/metrics")).text
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert 'tablemates_graphql_operations_total{operation="WhoAmI",outcome="ok",type="query"} 1.0' in metrics
    assert (
        "tablemates_db_query_seconds_count" in metrics
        and "tablemates_graphql_operation_seconds_bucket" in metrics
    )
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [entry for entry in lines if entry.get("operation") == "WhoAmI"]
    assert access and access[0]["request_id"] == "trace42abc" and access[0]["outcome"] == "ok"
    assert isinstance(access[0]["duration_ms"], float) and access[0]["viewer_id"] is not None
    assert any(entry["logger"] == "tablemates.slow_query" and "sql" in entry for entry in lines)
    assert user_id


async def test_graceful_shutdown_closes_subscriptions_cleanly(settings, app):
    env = server_env(settings, settings.redis_url)
    with serve(env) as (url, process):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            body = await gql(
                http,
                REGISTER,
                {
                    "input": {
                        "email": f"bye-{time.time_ns()}@example.com",
                        "password": "correct horse battery",
                        "displayName": "再见",
                    }
                },
            )
            token = body["data"]["register"]["token"]
            async with aconnect_ws(f"{url}/graphql", http, subprotocols=["graphql-transport-ws"]) as ws:
                await ws.send_json(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
                assert (await ws.receive_json())["type"] == "connection_ack"
                await ws.send_json(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": "subscription { matchRequestReceived { id } }"},
                    }
                )
                await asyncio.sleep(0.5)
                process.send_signal(signal.SIGTERM)
                try:
                    message = await asyncio.wait_for(ws.receive_json(), 20)
                    closed = message.get("type") == "complete"
                except Exception as error:  # noqa: BLE001 - httpx_ws raises on a close frame
                    closed = "1012" in repr(error) or "1001" in repr(error) or "1000" in repr(error)
                assert closed
        # uvicorn finishes in-flight work, then re-raises the captured SIGTERM: -15 is a clean exit.
        assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)
        output = process.stdout.read() if process.stdout else ""
        assert "Finished server process" in output and "Traceback" not in output


async def test_lag_tolerant_reads_go_to_the_replica(tmp_path, settings, app):
    """Primary and replica are separate SQLite files here: the feed reads the (empty) replica."""
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = {
        **server_env(settings, settings.redis_url),
        "DATABASE_URL": f"sqlite://{primary}",
        "MEDIA_ROOT": str(tmp_path / "m"),
    }
    for path in (primary, replica):
        migrated_sqlite(path)
    with serve({**env, "DATABASE_REPLICA_URL": f"sqlite://{replica}"}) as (url, _):
        async with httpx.AsyncClient(base_url=url, timeout=20) as http:
            body = await gql(
                http,
                REGISTER,
                {
                    "input": {
                        "email": "r@example.com",
                        "password": "correct horse battery",
                        "displayName": "主库",
                    }
                },
            )
            token = body["data"]["register"]["token"]
            me = await gql(http, "{ me { displayName } }", token=token)
            assert me["data"]["me"]["displayName"] == "主库"  # the primary answers own reads
            owner = await gql(
                http,
                REGISTER,
                {
                    "input": {
                        "email": "o@example.com",
                        "password": "correct horse battery",
                        "displayName": "店",
                        "accountType": "RESTAURANT",
                    }
                },
            )
            made = await gql(
                http,
                'mutation { createRestaurant(input: {name: "店", lat: 30.6, lng: 104.0}) { errors { code } } }',
                token=owner["data"]["register"]["token"],
            )
            assert made["data"]["createRestaurant"]["errors"] == []
            nearby = await gql(http, "{ restaurantsNearby(lat: 30.6, lng: 104.0) { edges { node { id } } } }")
            assert nearby["data"]["restaurantsNearby"]["edges"] == []  # the replica has not caught up
    assert Path(replica).exists()


async def test_graceful_shutdown_lets_an_in_flight_request_finish(settings, app):
    """A slow upload is mid-body when SIGTERM arrives: it still completes with 204."""
    env = {**server_env(settings, settings.redis_url), "MEDIA_BACKEND": "local"}
    with serve(env) as (url, process):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            body = await gql(
                http,
                REGISTER,
                {
                    "input": {
                        "email": f"slow-{time.time_ns()}@example.com",
                        "password": "correct horse battery",
                        "displayName": "慢",
                    }
                },
            )
            token = body["data"]["register"]["token"]
            chunks = [b"x" * 1000] * 8
            upload = await gql(
                http,
                'mutation($n: Int!) { requestPhotoUpload(contentType: "image/jpeg", byteSize: $n) { upload { url headers } } }',
                {"n": sum(map(len, chunks))},
                token,
            )
            target = upload["data"]["requestPhotoUpload"]["upload"]

            async def slow_body():
                for i, chunk in enumerate(chunks):
                    if i == 2:
                        process.send_signal(signal.SIGTERM)  # shutdown starts mid-request
                    await asyncio.sleep(0.25)
                    yield chunk

            response = await http.put(target["url"], content=slow_body(), headers=target["headers"])
        assert response.status_code == 204
        assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)
