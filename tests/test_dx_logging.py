"""Logs an operator can read: client mistakes at INFO without tracebacks, bugs at ERROR with
the request id, one access line per request with its duration and request id."""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time

import httpx

from tests.helpers import register
from tests.servers import ROOT, free_port, server_env

MODERATION_QUEUE = "{ moderationQueue(first: 1) { edges { node { id } } } }"


def records(caplog, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


async def test_client_errors_are_info_without_traceback(client, caplog):
    caplog.set_level(logging.INFO)
    caplog.clear()
    documents = [
        ("mutation { updateLocation(lat: 1, lng: 2) { errors { code } } }", None),  # UNAUTHENTICATED
        ("{ nope }", None),  # validation
        ('{ node(id: "not-an-id") { id } }', None),  # bad id
    ]
    for document, auth in documents:
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        response = await client.post("/graphql", json={"query": document}, headers=headers)
        assert response.json().get("errors"), response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert not records(caplog, "strawberry.execution")
    infos = records(caplog, "tablemates.errors")
    assert len(infos) >= 3 and all(r.levelno == logging.INFO and r.exc_info is None for r in infos)
    assert {r.code for r in infos} >= {"UNAUTHENTICATED", "GRAPHQL_VALIDATION_FAILED"}
    assert all(r.request_id for r in infos)


async def test_unexpected_errors_are_error_with_request_id(client, caplog, monkeypatch):
    from resolvers.accounts import accounts

    async def broken(ctx, lat, lng):
        raise RuntimeError("boom")

    monkeypatch.setattr(accounts, "update_location", broken)
    token, _, _ = await register(client)
    caplog.set_level(logging.INFO)
    caplog.clear()
    response = await client.post(
        "/graphql",
        json={"query": "mutation { updateLocation(lat: 1, lng: 2) { errors { code } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]  # once, not again by strawberry
    assert errors[0].request_id == response.headers["x-request-id"] and errors[0].exc_info


async def test_one_access_line_per_request_with_duration_and_request_id(client, caplog):
    caplog.set_level(logging.INFO)
    caplog.clear()
    response = await client.get("/healthz", headers={"X-Request-Id": "abc123"})
    (line,) = records(caplog, "tablemates.http")
    assert line.request_id == "abc123" == response.headers["x-request-id"]
    assert line.status == 200 and line.path == "/healthz" and line.duration_ms >= 0
    assert "abc123" in line.getMessage() and "ms" in line.getMessage()


def test_served_process_writes_our_access_line_not_uvicorns(settings):
    port = free_port()
    with tempfile.TemporaryFile() as logs:
        process = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--port", str(port)],
            cwd=ROOT, env={**server_env(settings, None), "REDIS_URL": ""}, stdout=logs, stderr=logs,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"X-Request-Id": "probe42"}).is_success:
                        break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=15)
        logs.seek(0)
        text = logs.read().decode()
    assert "GET /healthz 200" in text and "[request probe42]" in text, text
    assert '"GET /healthz HTTP/1.1" 200' not in text, text  # uvicorn's plain access line is off
