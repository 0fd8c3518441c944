"""The request stack's short cuts (bench/README §14.2) answer exactly as the long way did.

- A JSON POST takes `GraphQLEndpoint.run_json_post`; every request here is sent twice, through
  it and through strawberry's `run` (the path every request took before), and must get the same
  status, body and headers (request id and timing aside).
- Extension hooks entered by `schema/hooks.py` keep strawberry's order and exception semantics.
- The coalescing transport sends one turn's writes as one, in order, and flushes before closing.
- The access line and the operation line are still written, with duration and request id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from core.http_protocol import CoalescingTransport
from schema import view
from schema.hooks import LeanExtensionsRunner, Stage

QUERY = "{ __typename }"
REQUESTS: list[tuple[str, Any, dict[str, str]]] = [
    ("ok", {"query": QUERY}, {}),
    ("named", {"query": "query A { __typename } query B { x: __typename }", "operationName": "B"}, {}),
    ("unknown operation", {"query": "query A { __typename }", "operationName": "C"}, {}),
    ("two operations, none named", {"query": "query A { __typename } query B { __typename }"}, {}),
    ("syntax", {"query": "{ me { "}, {}),
    ("validation", {"query": "{ nope }"}, {}),
    ("variables", {"query": "query($d: ID!) { dish(id: $d) { name } }", "variables": {"d": [1]}}, {}),
    ("missing variable", {"query": "query($d: ID!) { dish(id: $d) { name } }"}, {}),
    ("auth", {"query": "{ me { id } }"}, {}),
    ("no query", {}, {}),
    ("query not a string", {"query": 3}, {}),
    ("variables not an object", {"query": QUERY, "variables": [1]}, {}),
    ("extensions not an object", {"query": QUERY, "extensions": "x"}, {}),
    ("batch", [{"query": QUERY}], {}),
    ("not an object", "x", {}),
    ("graphql-response+json error", {"query": "{ nope }"}, {"accept": "application/graphql-response+json"}),
    ("graphql-response+json ok", {"query": QUERY}, {"accept": "application/graphql-response+json"}),
    ("charset", {"query": QUERY}, {"content-type": "application/json; charset=utf-8"}),
    ("apq unknown hash", {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}, {}),
    (
        "apq register",
        {
            "query": "{ __typename } # apq",
            "extensions": {
                "persistedQuery": {
                    "version": 1,
                    "sha256Hash": hashlib.sha256(b"{ __typename } # apq").hexdigest(),
                }
            },
        },
        {},
    ),
    ("subscription over POST", {"query": "subscription { __typename }"}, {}),
]
VARYING = {"x-request-id", "content-length"}


async def _post(client: Any, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    response = await client.post("/graphql", json=body, headers=headers)
    kept = {k: v for k, v in response.headers.items() if k not in VARYING}
    try:
        answer = response.json()
    except ValueError:
        answer = response.text
    return response.status_code, answer, kept


@pytest.mark.parametrize(("name", "body", "headers"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_a_json_post_answers_as_strawberrys_run(client, monkeypatch, name, body, headers):
    taken: list[str] = []
    real = view.GraphQLEndpoint.run_json_post

    async def spy(self, request):  # noqa: ANN001, ANN202
        taken.append(name)
        return await real(self, request)

    monkeypatch.setattr(view.GraphQLEndpoint, "run_json_post", spy)
    fast = await _post(client, body, headers)
    assert taken == [name]  # the short cut was taken
    monkeypatch.setattr(view, "is_json_post", lambda scope, request: False)
    slow = await _post(client, body, headers)
    assert taken == [name]  # and this time it was not
    assert fast == slow


def test_only_a_plain_json_post_takes_the_short_cut():
    def is_json(method: str, content_type: str) -> bool:
        scope = {"method": method}
        request = type("R", (), {"headers": {"content-type": content_type}})()
        return view.is_json_post(scope, request)  # type: ignore[arg-type]

    assert is_json("POST", "application/json")
    assert is_json("POST", "application/json; charset=utf-8")
    assert not is_json("GET", "application/json")
    assert not is_json("POST", "multipart/form-data; boundary=x")
    assert not is_json("POST", "text/plain")
    assert not is_json("POST", "application/jsonx")


async def test_get_and_the_graphiql_page_still_go_the_long_way(client):
    answer = await client.get("/graphql", params={"query": QUERY})
    assert answer.status_code == 200 and answer.json() == {"data": {"__typename": "Query"}}
    mutation = await client.get("/graphql", params={"query": "mutation { __typename }"})
    assert mutation.status_code == 400
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text.lower()


# ------------------------------------------------------------------ extension hooks


class Recording(SchemaExtension):
    def __init__(self, name: str, trail: list[str], swallow: bool = False) -> None:
        self.name, self.trail, self.swallow = name, trail, swallow

    def on_operation(self) -> Iterator[None]:
        self.trail.append(f"{self.name} in")
        try:
            yield
        except ValueError:
            self.trail.append(f"{self.name} saw error")
            if not self.swallow:
                raise
        self.trail.append(f"{self.name} out")

    async def on_parse(self):  # noqa: ANN201
        self.trail.append(f"{self.name} parse")
        yield

    def on_execute(self) -> None:  # a plain hook: runs on entering the stage
        self.trail.append(f"{self.name} execute")


@pytest.mark.parametrize("runner", [LeanExtensionsRunner, SchemaExtensionsRunner])
async def test_hooks_run_in_order_and_leave_in_reverse(runner):
    trail: list[str] = []
    stages = runner(execution_context=None, extensions=[Recording("a", trail), Recording("b", trail)])
    async with stages.operation():
        async with stages.parsing():
            pass
        async with stages.executing():
            pass
        async with stages.validation():  # no hook: nothing happens
            pass
    assert trail == ["a in", "b in", "a parse", "b parse", "a execute", "b execute", "b out", "a out"]


@pytest.mark.parametrize("count", [1, 2])
async def test_an_exception_meets_the_hooks_as_in_strawberrys_runner(count):
    """Left in reverse; a hook that swallows it hides it from the outer ones; raised anyway."""
    trails = []
    for runner in (LeanExtensionsRunner, SchemaExtensionsRunner):
        trail: list[str] = []
        extensions = [Recording(str(i), trail, swallow=True) for i in range(count)]
        with pytest.raises(ValueError):
            async with runner(execution_context=None, extensions=extensions).operation():
                raise ValueError("boom")
        trails.append(trail)
    assert trails[0] == trails[1]
    assert trails[0][count] == f"{count - 1} saw error"
    with pytest.raises(ValueError):
        with Stage(extensions, "on_operation"):
            raise ValueError("boom")


def test_an_async_hook_is_refused_in_a_synchronous_execution():
    with pytest.raises(RuntimeError, match="failed to complete synchronously"):
        with Stage([Recording("a", [])], "on_parse"):
            pass


# ------------------------------------------------------------------ the transport


class Wire:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def is_closing(self) -> bool:
        return self.closed


async def test_one_turns_writes_leave_as_one_send_in_order():
    wire = Wire()
    transport = CoalescingTransport(wire, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"{}")
    assert wire.writes == [] and transport.get_write_buffer_size() == 21
    await asyncio.sleep(0)
    assert wire.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert wire.writes[-1] == b"next"
    transport.write(b"last words")
    transport.close()  # what was written goes out before the close
    assert wire.writes[-1] == b"last words" and wire.closed
    assert transport.is_closing()  # everything else is the wrapped transport's
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert len(wire.writes) == 3
    transport.write(b"to a peer that left")
    await asyncio.sleep(0)
    assert len(wire.writes) == 3


# ------------------------------------------------------------------ the log lines


async def test_the_access_line_and_the_operation_line_are_written(client, caplog):
    caplog.set_level(logging.INFO)
    response = await client.post("/graphql", json={"query": QUERY}, headers={"x-request-id": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    access = [r for r in caplog.records if r.name == "tablemates.http"]
    operation = [r for r in caplog.records if r.name == "tablemates.access"]
    assert len(access) == 1 and len(operation) == 1
    assert access[0].request_id == "abc123" and access[0].status == 200  # type: ignore[attr-defined]
    assert access[0].duration_ms >= 0  # type: ignore[attr-defined]
    assert "POST /graphql 200" in access[0].getMessage() and "[request abc123]" in access[0].getMessage()
    assert operation[0].request_id == "abc123" and operation[0].outcome == "ok"  # type: ignore[attr-defined]
    fresh = await client.post("/graphql", json={"query": QUERY})
    generated = fresh.headers["x-request-id"]
    assert len(generated) == 16 and int(generated, 16) >= 0


def test_responses_are_written_by_orjson_and_what_it_refuses_by_json():
    """UTF-8 as is (not \\u escapes), the same JSON value; an int past 64 bits (orjson refuses
    it) still answers, written by `json`."""
    endpoint = view.GraphQLEndpoint.__new__(view.GraphQLEndpoint)
    data = {"data": {"restaurant": {"name": "小龙坎火锅", "rating": 4.5, "tags": ["麻辣", None]}}}
    text = endpoint.encode_json(data)
    assert isinstance(text, str) and "小龙坎火锅" in text and "\\u" not in text
    assert json.loads(text) == data
    assert json.loads(endpoint.encode_json({"n": 2**70})) == {"n": 2**70}
