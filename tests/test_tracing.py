"""OpenTelemetry: off by default; on, a span per operation with its SQL statements inside."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from core import tracing
from tests.helpers import gql, register
from tests.servers import ROOT, free_port, server_env


@contextmanager
def traced() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.enable(provider)
    try:
        yield exporter
    finally:
        tracing.disable()


def test_off_unless_the_otel_variables_ask():
    assert not tracing.wanted({})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "console"})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"})


async def test_a_span_per_operation_and_per_sql_statement(client):
    token, user_id, _ = await register(client)
    with traced() as exporter:
        await gql(client, "query WhoAmI($id: ID!) { node(id: $id) { id } }", {"id": user_id}, token=token)
    spans = exporter.get_finished_spans()
    (operation,) = [s for s in spans if s.name == "query WhoAmI"]
    assert operation.attributes["graphql.operation.name"] == "WhoAmI"
    assert operation.attributes["tablemates.request_id"]
    sql = [s for s in spans if "db.query.text" in s.attributes]
    assert sql, [s.name for s in spans]
    inside = [s for s in sql if s.parent is not None and s.parent.span_id == operation.context.span_id]
    assert inside and any("users" in s.attributes["db.query.text"] for s in inside)
    assert all(s.attributes["db.system.name"] in ("sqlite", "postgresql") for s in sql)
    assert any(s.name == "SELECT" for s in inside)


async def test_errors_mark_the_operation_span(client):
    with traced() as exporter:
        await gql(client, "mutation Move { updateLocation(lat: 1, lng: 2) { errors { code } } }", expect_errors=True)
    (operation,) = [s for s in exporter.get_finished_spans() if s.name == "mutation Move"]
    assert not operation.status.is_ok


def test_served_process_exports_as_otel_variables_say(settings):
    """OTEL_TRACES_EXPORTER=console: the SDK's own exporter, configured from the environment."""
    port = free_port()
    env = {**server_env(settings, None), "REDIS_URL": "", "OTEL_TRACES_EXPORTER": "console",
           "OTEL_SERVICE_NAME": "tablemates-test"}
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [sys.executable, "app.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    response = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "query Ping { me { id } }"})
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline and process.poll() is None
                    time.sleep(0.2)
            assert response.json() == {"data": {"me": None}}
        finally:
            process.terminate()
            process.wait(timeout=15)
        out.seek(0)
        text = out.read().decode()
    assert '"name": "query Ping"' in text and "tablemates-test" in text, text[-2000:]
