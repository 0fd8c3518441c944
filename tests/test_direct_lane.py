"""A known document's POST runs on the direct lane (schema/direct.py) and answers exactly as
strawberry's path does: every request below is sent through strawberry's path first (which also
prepares its document), then again, when it must take the direct lane, and both answers must be
the same (status, body and headers; the request id is fixed, the length aside)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from resolvers.restaurants import restaurants
from schema.direct import DirectLane
from tests.helpers import register

NEARBY = (
    "query($lat: Float!, $lng: Float!, $r: Float) { restaurantsNearby(lat: $lat, lng: $lng, "
    "radiusKm: $r, first: 2) { edges { node { id name distanceKm } } pageInfo { hasNextPage } } }"
)
EXPENSIVE = (
    "{ me { followers(first: 100) { edges { node { followers(first: 100) { edges { node { "
    "followers(first: 100) { edges { node { id displayName } } } } } } } } } } }"
)
SPOT = {"lat": 30.6571, "lng": 104.0661, "r": 3.0}
ZH = {"accept-language": "zh-CN,zh;q=0.9"}
# (name, body, extra headers, signed in)
CASES: list[tuple[str, dict[str, Any], dict[str, str], bool]] = [
    ("query with variables", {"query": NEARBY, "variables": SPOT}, {}, False),
    ("no variables", {"query": "{ __typename }"}, {}, False),
    (
        "named among several",
        {"query": "query A { __typename } query B { me { id displayName } }", "operationName": "B"},
        {},
        True,
    ),
    ("variables that do not coerce", {"query": NEARBY, "variables": {**SPOT, "lat": "north"}}, {}, False),
    ("a missing variable", {"query": NEARBY, "variables": {"lng": 104.0}}, {}, False),
    ("a resolver's refusal", {"query": NEARBY, "variables": {**SPOT, "lat": 95.0}}, {}, False),
    ("the refusal in Chinese", {"query": NEARBY, "variables": {**SPOT, "lat": 95.0}}, ZH, False),
    ("a malformed id", {"query": '{ dish(id: "bogus") { name } }'}, {}, False),
    ("signed out", {"query": "{ me { id } myClaims(first: 2) { edges { node { id } } } }"}, {}, False),
    ("over the cost limit", {"query": EXPENSIVE}, {}, True),
    ("over the cost limit, graphql-response+json", {"query": EXPENSIVE}, {"accept": "application/graphql-response+json"}, True),
    (
        "unstorable text in the document",  # (in variables the body is refused before: a 400)
        {"query": 'mutation { updateProfile(input: {bio: "a\\u0000b"}) { errors { code } } }'},
        {},
        True,
    ),
    (
        "a payload's user errors",
        {"query": 'mutation { sendMatchRequest(userId: "VXNlcjow") { errors { field code message } } }'},
        ZH,
        True,
    ),
    (
        "an input object argument",
        {
            "query": "mutation($k: String!) { claimDeal(dealId: \"RGVhbDow\", idempotencyKey: $k, "
            "source: {type: SHARE_LINK, id: \"x\"}) { claim { id } errors { code } } }",
            "variables": {"k": "direct-lane"},
        },
        {},
        True,
    ),
    ("a mutation's name selected", {"query": "mutation M { __typename }", "operationName": "M"}, {}, False),
]


async def _post(client: Any, body: Any, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
    response = await client.post("/graphql", json=body, headers={"x-request-id": "direct-lane-1", **headers})
    kept = {k: v for k, v in response.headers.items() if k != "content-length"}
    return response.status_code, response.json(), kept


@pytest.fixture
def lane_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    runs: list[str] = []
    real = DirectLane._run

    async def spy(self, execution, prepared, blueprint):  # noqa: ANN001, ANN202
        runs.append(execution.query)
        return await real(self, execution, prepared, blueprint)

    monkeypatch.setattr(DirectLane, "_run", spy)
    return runs


@pytest.mark.parametrize(("name", "body", "headers", "signed_in"), CASES, ids=[c[0] for c in CASES])
async def test_the_direct_lane_answers_as_strawberrys_path(
    client, monkeypatch, lane_runs, caplog, name, body, headers, signed_in
):
    if signed_in:
        token, _, _ = await register(client)
        headers = {**headers, "authorization": f"Bearer {token}"}
        lane_runs.clear()  # registering took the lane too
    caplog.set_level(logging.INFO)
    caplog.clear()
    with monkeypatch.context() as patched:
        patched.setattr(DirectLane, "prepared", lambda self, query: None)
        long_way = await _post(client, body, headers)
    long_way_lines = _lines(caplog)
    assert lane_runs == []
    caplog.clear()
    direct = await _post(client, body, headers)
    assert lane_runs == [body["query"]], name
    assert direct == long_way
    assert _lines(caplog) == long_way_lines  # the same log lines (errors, operation, access)


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """Our log lines as (logger, level, message), the access line's duration aside."""
    return sorted(
        (r.name, r.levelname, r.getMessage() if r.name != "tablemates.http" else "")
        for r in caplog.records
        if r.name.startswith(("tablemates", "strawberry"))
    )


async def test_an_unexpected_error_is_masked_and_logged_as_on_strawberrys_path(client, monkeypatch, lane_runs, caplog):
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the secret database password is hunter2")

    monkeypatch.setattr(restaurants, "restaurants_nearby", broken)
    caplog.set_level(logging.INFO)
    answers, logged = [], []
    for lane in (False, True):
        caplog.clear()
        with monkeypatch.context() as patched:
            if not lane:
                patched.setattr(DirectLane, "prepared", lambda self, query: None)
            answers.append(await _post(client, {"query": NEARBY, "variables": SPOT}, {}))
        logged.append(
            sorted((r.name, r.levelname) for r in caplog.records if r.name.startswith(("tablemates", "strawberry")))
        )
    assert len(lane_runs) == 1
    assert answers[0] == answers[1]
    error = answers[1][1]["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "direct-lane-1"}
    assert "hunter2" not in str(answers[1])
    assert logged[0] == logged[1]
    assert ("tablemates.errors", "ERROR") in logged[1]


async def test_only_a_document_already_prepared_takes_the_lane(client, lane_runs, app):
    query = "{ __typename direct: __typename }"
    validator = app.state.schema.document_validator
    assert validator.cached(query, app.state.services.settings.max_tokens) is None
    first = await client.post("/graphql", json={"query": query})
    assert first.json() == {"data": {"__typename": "Query", "direct": "Query"}}
    assert lane_runs == []  # prepared by strawberry's path
    second = await client.post("/graphql", json={"query": query})
    assert second.json() == first.json() and lane_runs == [query]
    refused = await client.post("/graphql", json={"query": "{ nope }"})
    again = await client.post("/graphql", json={"query": "{ nope }"})
    assert refused.json() == again.json() and lane_runs == [query]  # refused documents: never
    subscription = "subscription { __typename }"
    for _ in range(2):
        answer = await client.post("/graphql", json={"query": subscription})
    assert answer.json()["errors"] and lane_runs == [query]
    unknown = await client.post("/graphql", json={"query": query, "operationName": "Other"})
    assert unknown.status_code == 400 and lane_runs == [query]  # strawberry: unknown operation


async def test_a_get_request_goes_the_long_way(client, lane_runs):
    for _ in range(2):
        answer = await client.get("/graphql", params={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
    assert lane_runs == []


async def test_operation_names_that_select_nothing_are_not_kept(client, app):
    """A client may name operations at will: what the lane keeps per document stays the
    document's own operations, whatever names it is asked for."""
    query = "query Mine { __typename }"
    for name in [None, "Mine", *(f"made-up-{i}" for i in range(50))]:
        await client.post("/graphql", json={"query": query, "operationName": name})
    prepared = app.state.schema.document_validator.cached(query, app.state.services.settings.max_tokens)
    assert "Mine" in prepared.blueprints and set(prepared.blueprints) <= {None, "Mine"}
