"""Hostile clients against /graphql: malformed bodies, costly and slow-to-validate documents,
forged IDs. Every answer is a 400/413 with a GraphQL-shaped error carrying `extensions.code`, or
null / a payload UserError: never a 500, never INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
import uuid

import httpx
import pytest

from tests.conftest import override_settings
from tests.helpers import gql, open_restaurant, random_spot, register

GRAPHQL_RESPONSE = "application/graphql-response+json"


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def post_raw(client: httpx.AsyncClient, content: bytes, **headers: str) -> httpx.Response:
    return await client.post(
        "/graphql", content=content, headers={"content-type": "application/json", **headers}
    )


# ------------------------------------------------------------------ malformed bodies


@pytest.mark.parametrize(
    "content",
    [
        b'{"query": "{ cuisineTags { tag } }", "x": "\xff\xfe"}',  # invalid UTF-8
        b'"{ cuisineTags { tag } }"',  # JSON, but a string
        b"12",
        b"null",
        b"[" * 30_000 + b"]" * 30_000,  # nested deeper than Python's recursion limit
        b'{"query": "{ me { id } }", "variables": {"a": ' + b'{"b": ' * 5000 + b"1" + b"}" * 5001,
        b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 100 + b"]" * 100 + b"}}",
        b"{not json",
        b"",
    ],
    ids=["invalid-utf8", "string", "number", "null", "deep-array", "deep-object", "100-deep", "garbage", "empty"],
)
async def test_malformed_bodies_are_400_with_a_graphql_error(client, content):
    response = await post_raw(client, content)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "data" not in body


async def test_json_nested_100_000_deep_is_400_even_under_a_raised_size_cap(client, services):
    with override_settings(services, max_request_bytes=1_000_000):
        response = await post_raw(client, b'{"query": "{ me { id } }", "variables": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}")
    assert response.status_code == 400
    assert codes(response.json()) == ["BAD_REQUEST"]


async def test_batches_and_wrong_methods_are_graphql_shaped(client):
    batch = await client.post("/graphql", json=[{"query": "{ me { id } }"}])
    assert batch.status_code == 400 and codes(batch.json()) == ["BAD_REQUEST"]
    unknown = await client.post("/graphql", json={"query": "{ me { id } }", "operationName": "Nope"})
    assert unknown.status_code == 400 and codes(unknown.json()) == ["BAD_REQUEST"]
    put = await client.put("/graphql", json={"query": "{ me { id } }"})
    assert put.status_code == 405


async def test_several_operations_need_an_operation_name_and_none_runs_without_one(client):
    token, _, _ = await register(client)
    document = (
        'mutation Write { updateProfile(input: {bio: "第一个"}) { errors { code } } } '
        "query Read { me { bio } }"
    )
    auth = {"Authorization": f"Bearer {token}"}
    unnamed = (await client.post("/graphql", json={"query": document}, headers=auth)).json()
    assert codes(unnamed) == ["BAD_REQUEST"] and unnamed.get("data") is None, unnamed
    read = (await client.post("/graphql", json={"query": document, "operationName": "Read"}, headers=auth)).json()
    assert read["data"]["me"]["bio"] in (None, ""), read  # the unnamed request wrote nothing
    wrote = await client.post("/graphql", json={"query": document, "operationName": "Write"}, headers=auth)
    assert wrote.json()["data"]["updateProfile"]["errors"] == []


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "mutation($b: String) { updateProfile(input: {bio: $b}) { errors { code } } }", "variables": {"b": "a\ud800b"}},
        {"query": "mutation($i: ProfileInput!) { updateProfile(input: $i) { errors { code } } }", "variables": {"i": {"displayName": "\udfff"}}},
        {"query": 'mutation { updateProfile(input: {bio: "x\ud800"}) { errors { code } } }'},
        {"query": "{ me { id } }", "operationName": "\ud800"},
    ],
    ids=["variable", "nested-variable", "literal", "operation-name"],
)
async def test_lone_surrogates_are_refused_at_the_edge(client, payload):
    token, _, _ = await register(client)
    # json.dumps escapes them as \\udXXX, exactly what a hostile client sends
    content = json.dumps(payload).encode()
    response = await post_raw(client, content, Authorization=f"Bearer {token}")
    assert response.status_code == 400, response.text
    assert codes(response.json()) == ["BAD_USER_INPUT"]
    me = await gql(client, "{ me { bio displayName } }", token=token)
    assert me["data"]["me"]["bio"] == ""


async def test_surrogates_written_as_graphql_escapes_are_refused(client):
    token, _, _ = await register(client)
    body = await gql(
        client,
        'mutation { updateProfile(input: {bio: "x\\ud800"}) { errors { code } } }',
        token=token,
        expect_errors=True,
    )
    assert codes(body) in (["BAD_USER_INPUT"], ["GRAPHQL_PARSE_FAILED"])


async def test_a_paired_surrogate_is_an_ordinary_emoji(client):
    token, _, _ = await register(client)
    body = await gql(
        client, "mutation($b: String) { updateProfile(input: {bio: $b}) { errors { code } } }", {"b": "好吃😋"}, token
    )
    assert body["data"]["updateProfile"]["errors"] == []
    me = await gql(client, "{ me { bio } }", token=token)
    assert me["data"]["me"]["bio"] == "好吃😋"


async def test_a_body_over_the_cap_is_413(client, services):
    big = b'{"query": "{ me { id } }", "variables": {"x": "' + b"a" * (services.settings.max_request_bytes + 10) + b'"}}'
    response = await post_raw(client, big)
    assert response.status_code == 413
    assert codes(response.json()) == ["PAYLOAD_TOO_LARGE"]

    async def chunks():  # no Content-Length: the cap holds while streaming
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


# ------------------------------------------------------------------ error codes and GraphQL over HTTP


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ me { id ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ " * 400 + "}" * 400, None, "GRAPHQL_PARSE_FAILED"),
        ("{ me { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { me { followers(first: $n) { edges { cursor } } } }", {"n": "many"}, "BAD_USER_INPUT"),
        ("query($n: Int!) { me { followers(first: $n) { edges { cursor } } } }", None, "BAD_USER_INPUT"),
        ("query($n: Int) { me { followers(first: $n) { edges { cursor } } } }", {"n": 2**40}, "BAD_USER_INPUT"),
    ],
    ids=["syntax", "parser-recursion", "unknown-field", "wrong-type", "missing", "int-overflow"],
)
async def test_request_errors_carry_a_code_and_graphql_response_json_is_400_without_data(
    client, query, variables, code
):
    plain = await client.post("/graphql", json={"query": query, "variables": variables})
    assert plain.status_code in (200, 400)
    assert codes(plain.json()) and set(codes(plain.json())) == {code}
    spec = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert spec.status_code == 400
    assert spec.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in spec.json() and set(codes(spec.json())) == {code}


async def test_field_errors_keep_200_and_data_under_graphql_response_json(client):
    response = await client.post(
        "/graphql", json={"query": "{ me { email } cuisineTags { tag } }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.json()["data"]["cuisineTags"]


async def test_no_suggestions_when_introspection_is_off(settings):
    from dataclasses import replace

    from app import create_app

    app = create_app(replace(settings, introspection=False))
    schema = app.state.schema
    for query, variables in [
        ("{ cuisineTag { tag } }", None),
        ("{ searchRestaurants(qury: \"x\") { edges { cursor } } }", None),
        ("query($s: ReportStatus) { moderationQueue(status: $s) { edges { cursor } } }", {"s": "OPN"}),
    ]:
        result = await schema.execute(query, variable_values=variables)
        assert result.errors
        assert all("Did you mean" not in e.message for e in result.errors), result.errors
    shown = await schema_with_introspection(settings).execute("{ cuisineTag { tag } }")
    assert "Did you mean" in shown.errors[0].message


def schema_with_introspection(settings):
    from schema import build_schema

    return build_schema(settings)


# ------------------------------------------------------------------ global IDs and search


def raw_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


FORGED_IDS = [
    raw_id("Restaurant:abc"),
    raw_id("Restaurant:99999999999999999999999"),
    raw_id("Restaurant:-1"),
    raw_id("Restaurant: 1"),
    raw_id("Restaurant:١٢"),
    raw_id("NoSuchType:1"),
    raw_id("Restaurant"),
    "%%%not-base64",
    raw_id("User:9223372036854775808"),
    "x" * 5000,
]


@pytest.mark.parametrize("forged", FORGED_IDS)
async def test_forged_global_ids_give_null_or_a_coded_error(client, forged):
    token, _, _ = await register(client)
    node = await client.post(
        "/graphql", json={"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": forged}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert node.status_code in (200, 400)
    body = node.json()
    if body.get("errors"):
        assert set(codes(body)) <= {"BAD_USER_INPUT", "NOT_FOUND"}, body
    else:
        assert body["data"]["node"] is None
    restaurant = await gql(client, "query($id: ID!) { restaurant(id: $id) { id } }", {"id": forged}, token, expect_errors=True)
    if restaurant.get("errors"):
        assert set(codes(restaurant)) <= {"BAD_USER_INPUT", "NOT_FOUND"}, restaurant
    else:
        assert restaurant["data"]["restaurant"] is None
    follow = await gql(client, "mutation($id: ID!) { follow(userId: $id) { errors { code } } }", {"id": forged}, token)
    assert [e["code"] for e in follow["data"]["follow"]["errors"]] in (["INVALID_ID"], ["NOT_FOUND"])


async def test_a_huge_search_word_is_a_clear_error(client):
    _, restaurant = await open_restaurant(client, *random_spot(), name="长字测试")
    body = await gql(
        client, "query($q: String!) { searchRestaurants(query: $q) { edges { cursor } } }", {"q": "x" * 50_000}, expect_errors=True
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    many = await gql(client, "query($q: String!) { searchRestaurants(query: $q) { edges { node { id } } } }", {"q": "长字 " * 60})
    assert [e["node"]["id"] for e in many["data"]["searchRestaurants"]["edges"]] == [restaurant]


# ------------------------------------------------------------------ query cost on what executes

PLAIN = "{ me { followers(first: 100) { edges { node { followers(first: 100) { edges { node { id } } } } } } } }"
SAME_COST = [
    # named fragments
    "{ me { ...A } } fragment A on User { followers(first: 100) { edges { node { ...B } } } }"
    " fragment B on User { followers(first: 100) { edges { node { id } } } }",
    # inline fragments
    "{ me { ... on User { followers(first: 100) { edges { ... { node { ... on User {"
    " followers(first: 100) { edges { node { id } } } } } } } } } } }",
    # aliases hide `edges` from a walk that looks for the name
    "{ me { f: followers(first: 100) { e: edges { n: node { g: followers(first: 100) { x: edges { y: node { id } } } } } } } }",
    # a variable's default value, not sent by the client
    "query($n: Int = 100) { me { followers(first: $n) { edges { node { followers(first: $n) { edges { node { id } } } } } } } }",
]


async def reported_cost(client, query, token, variables=None) -> int:
    body = await gql(client, query, variables, token, expect_errors=True)
    assert codes(body) == ["QUERY_TOO_COSTLY"], body
    return body["errors"][0]["extensions"]["cost"]


async def test_cost_is_the_same_however_the_query_is_written(client):
    token, _, _ = await register(client)
    expected = await reported_cost(client, PLAIN, token)
    for query in SAME_COST:
        assert await reported_cost(client, query, token) == expected, query


async def test_connections_without_first_count_the_default_page(client):
    token, _, _ = await register(client)
    omitted = "{ me { ...A } } fragment A on User { followers { edges { node { following { edges { node { followers { edges { node { id } } } } } } } } } }"
    explicit = omitted.replace("followers {", "followers(first: 20) {").replace("following {", "following(first: 20) {")
    assert await reported_cost(client, omitted, token) == await reported_cost(client, explicit, token)


async def test_an_ordinary_page_of_100_is_allowed(client):
    token, _, _ = await register(client)
    body = await gql(client, "{ feed(first: 100) { edges { node { kind review { id rating body author { displayName } dish { name } restaurant { name } photos { thumbnailUrl } } } } } }", token=token)
    assert "errors" not in body


# ------------------------------------------------------------------ validation does not stall the loop

REPEATED = "{ " + "cuisineTags { tag } " * 120 + "}"
ALIASES = "{ " + " ".join(f"a{i}: cuisineTags {{ tag }}" for i in range(16)) + " }"
BOMB = "{ me { ...F0 } } " + " ".join(f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(20)) + " fragment F20 on User { id }"
HUGE = "{ me { " + "id " * 5000 + "} }"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (REPEATED, "GRAPHQL_VALIDATION_FAILED"),
        (ALIASES, "GRAPHQL_VALIDATION_FAILED"),
        (BOMB, "GRAPHQL_VALIDATION_FAILED"),
        (HUGE, "GRAPHQL_PARSE_FAILED"),
    ],
    ids=["repeated-field", "aliases", "fragment-bomb", "oversized"],
)
async def test_hostile_documents_are_refused_before_costly_validation(client, query, code):
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE})
    assert time.perf_counter() - started < 0.5
    assert response.status_code == 400
    assert codes(response.json()) == [code]


async def test_a_repeated_document_is_validated_once(client, app):
    validator = app.state.schema.document_validator
    query = "{ cuisineTags { tag labelZh } me { id } }"  # a text no other test sends
    before = validator.runs
    for _ in range(3):
        await gql(client, query)
    assert validator.runs == before + 1


# ------------------------------------------------------------------ a real `serve` process


async def test_real_server_caps_bodies_and_keeps_healthz_fast_under_hostile_validation(settings, app):
    """Over real sockets: a declared or streamed body over the cap is a 413, and /healthz stays
    fast while clients send the reported attack (one field repeated ~700 times) and documents
    just under the guards, each text unique so no cache helps."""
    from bench.hostile import documents
    from tests.servers import running_servers

    hostile = list(documents().values())
    with running_servers(settings, 1, shared_redis=False) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            big = b'{"query": "{ me { id } }", "x": "' + b"a" * 200_000 + b'"}'
            declared = await http.post("/graphql", content=big, headers={"content-type": "application/json"})
            assert declared.status_code == 413 and codes(declared.json()) == ["PAYLOAD_TOO_LARGE"]

            async def chunks():
                for start in range(0, len(big), 16384):
                    yield big[start : start + 16384]

            streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
            assert streamed.status_code == 413

            stop, statuses = asyncio.Event(), []

            async def attacker(offset: int) -> None:
                i = offset
                while not stop.is_set():
                    text = f"{hostile[i % len(hostile)]} # {uuid.uuid4().hex}"
                    statuses.append((await http.post("/graphql", json={"query": text})).status_code)
                    i += 1

            tasks = [asyncio.create_task(attacker(n)) for n in range(4)]
            await asyncio.sleep(0.5)
            latencies = []
            for _ in range(30):
                started = time.perf_counter()
                assert (await http.get("/healthz")).status_code == 200
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.03)
            stop.set()
            await asyncio.gather(*tasks)
    assert statuses and all(status < 500 for status in statuses)
    assert statistics.median(latencies) < 0.25 and max(latencies) < 1.0, latencies


def forged_cursor(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# Every list that takes `after`, as a diner, a restaurant's visitor or a moderator would page it.
PAGED = [
    "feed(after: $a) { edges { cursor } }",
    "notifications(after: $a) { edges { cursor } }",
    "myClaims(after: $a) { edges { cursor } }",
    "matchRequests(after: $a) { edges { cursor } }",
    "matches(after: $a) { edges { cursor } }",
    "conversations(after: $a) { edges { cursor } }",
    "blockedUsers(after: $a) { edges { cursor } }",
    "myFavouriteLists(after: $a) { edges { cursor } }",
    "nearbyFoodies(after: $a) { edges { cursor } }",
    "restaurantsNearby(lat: 31.23, lng: 121.47, after: $a) { edges { cursor } }",
    "searchRestaurants(query: \"面\", after: $a) { edges { cursor } }",
    "sharedMealsNearby(lat: 31.23, lng: 121.47, after: $a) { edges { cursor } }",
    "eventsNearby(lat: 31.23, lng: 121.47, after: $a) { edges { cursor } }",
    "dealsNearby(lat: 31.23, lng: 121.47, after: $a) { edges { cursor } }",
    "me { followers(after: $a) { edges { cursor } } following(after: $a) { edges { cursor } } }",
    "restaurant(id: $r) { dishes(after: $a) { edges { cursor } } photos(after: $a) { edges { cursor } } }",
    "restaurant(id: $r) { reviews(after: $a) { edges { cursor } } }",
    "restaurant(id: $r) { reviews(sort: MOST_HELPFUL, after: $a) { edges { cursor } } }",
    "moderationQueue(after: $a) { edges { cursor } }",
    "auditLog(after: $a) { edges { cursor } }",
]
FORGED_VALUES = [2**63, -(2**63) - 1, 1e308, 10**400, [1], {"id": 1}, "9" * 5000, "2026-13-45"]


async def test_forged_cursors_are_bad_requests_on_every_list(client, services):
    """A cursor is opaque, but a client can write its own: out-of-range numbers, nested values
    and junk must be a clear BAD_USER_INPUT on every list, never a 500 from the database."""
    from tests.helpers import account_with_role

    moderator, _ = await account_with_role(client, services)
    _, restaurant = await open_restaurant(client, *random_spot())
    for field in PAGED:
        variables = "$a: String" + (", $r: ID!" if "$r" in field else "")
        query = f"query({variables}) {{ {field} }}"
        refused = 0
        for value in FORGED_VALUES:
            for arity in (1, 2, 3, 4):
                body = await gql(
                    client, query, {"a": forged_cursor([value] * arity), "r": restaurant}, moderator, expect_errors=True
                )
                found = [e["extensions"]["code"] for e in body.get("errors", [])]
                assert "INTERNAL_SERVER_ERROR" not in found, (field, value, arity, body)
                refused += bool(found) and set(found) == {"BAD_USER_INPUT"}
        assert refused == len(FORGED_VALUES) * 4, (field, refused)


NEAR = [
    "restaurantsNearby(lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
    "sharedMealsNearby(lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
    "eventsNearby(lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
    "dealsNearby(lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
    "nearbyFoodies(radiusKm: $r) { edges { cursor } }",
    "searchRestaurants(query: \"火锅\", lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
    "searchDishes(query: \"火锅\", lat: 30, lng: 104, radiusKm: $r) { edges { cursor } }",
]


@pytest.mark.parametrize("radius", [5e-324, 1e-300, 0.0, -1.0, 0.009, 50.0001])
async def test_a_radius_out_of_bounds_is_refused_at_once(client, radius):
    """5e-324 km once made the embedded ring search loop forever (radius / 16 is 0.0)."""
    token, _, _ = await register(client)
    for field in NEAR:
        body = await asyncio.wait_for(
            gql(client, f"query($r: Float!) {{ {field} }}", {"r": radius}, token, expect_errors=True), 10
        )
        assert codes(body) == ["BAD_USER_INPUT"], (field, body)


async def test_a_nulled_parent_does_not_cancel_what_its_siblings_share(client, services):
    """A moderator asking for an owner's private `referralCredits` (non-null) nulls `owner`;
    graphql-core then cancels its sibling fields' tasks, one of which was waiting on a loader
    future the `upcomingMeals` field shares: that used to cancel the shared future and escape
    as a 500. Now: FORBIDDEN for the private field, the rest of the answer intact."""
    from tests.helpers import account_with_role

    moderator, _ = await account_with_role(client, services)
    _, restaurant = await open_restaurant(client, *random_spot(), name="川味小馆")
    query = """query($i: ID!) { restaurant(id: $i) { name
      owner { referralCredits followersCount followingCount isFollowedByMe } upcomingMeals { id } } }"""
    for _ in range(3):
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"i": restaurant}},
            headers={"Authorization": f"Bearer {moderator}"},
        )
        body = response.json()
        assert response.status_code == 200 and codes(body) == ["FORBIDDEN"], body
        assert body["data"]["restaurant"]["name"] == "川味小馆", body
        assert body["data"]["restaurant"]["owner"]["referralCredits"] is None  # nullable since
        assert body["data"]["restaurant"]["upcomingMeals"] == []


async def test_a_cancelled_waiter_leaves_the_shared_answer_to_the_others():
    """The mechanism behind the test above, now that private fields are nullable: a loader's
    pending answer survives one waiter's cancellation (graphql-core cancels sibling fields)."""
    from core.loaders import Loaders

    async def rows(keys):
        await asyncio.sleep(0.05)
        return [f"row {k}" for k in keys]

    loader = Loaders().get(rows)
    first, second = loader.load(7), loader.load(7)
    cancelled = asyncio.ensure_future(first)
    kept = asyncio.ensure_future(second)
    await asyncio.sleep(0)
    cancelled.cancel()
    assert await kept == "row 7"
    assert await loader.load(7) == "row 7"


async def test_every_waiter_of_a_failed_batch_gets_its_error():
    """A batch that raises reaches each waiter of the shared answer (and a cancelled waiter
    leaves no "exception was never retrieved" behind)."""
    from core.loaders import Loaders

    async def rows(keys):
        await asyncio.sleep(0.05)
        raise LookupError("the batch failed")

    loader = Loaders().get(rows)
    waiters = [asyncio.ensure_future(loader.load(3)) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    outcomes = await asyncio.gather(*waiters, return_exceptions=True)
    assert isinstance(outcomes[0], asyncio.CancelledError)
    assert [type(o) for o in outcomes[1:]] == [LookupError, LookupError]


BAD_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "2020-01-01T00:00:00", "1999-12-31T23:00:00+00:00"]
TIMED = {  # lists whose cursors carry a timestamp, and where it sits among the values
    "feed(after: $a) { edges { cursor } }": lambda t: [t, 1],
    "notifications(after: $a) { edges { cursor } }": lambda t: [t, 1],
    "matches(after: $a) { edges { cursor } }": lambda t: [t, 1],
    "conversations(after: $a) { edges { cursor } }": lambda t: [t, 1],
    "restaurant(id: $r) { reviews(after: $a) { edges { cursor } } }": lambda t: [t, 1],
    "restaurant(id: $r) { reviews(sort: MOST_HELPFUL, after: $a) { edges { cursor } } }": lambda t: [True, 1, t, 1],
    "moderationQueue(after: $a) { edges { cursor } }": lambda t: [1, 1, t, 1],
}


async def test_cursor_timestamps_out_of_range_are_bad_requests(client, services):
    """["0001-01-01T00:00:00+14:00", 1] is no instant PostgreSQL's driver can send: it was a 500
    on six lists there. A cursor's timestamp is aware and within 2000-2100, as we write them."""
    from tests.helpers import account_with_role

    moderator, _ = await account_with_role(client, services)
    _, restaurant = await open_restaurant(client, *random_spot())
    for field, shape in TIMED.items():
        variables = "$a: String" + (", $r: ID!" if "$r" in field else "")
        for moment in BAD_TIMES:
            cursor = forged_cursor(shape(moment))
            body = await gql(client, f"query({variables}) {{ {field} }}", {"a": cursor, "r": restaurant}, moderator, expect_errors=True)
            assert [e["extensions"]["code"] for e in body.get("errors", [])] == ["BAD_USER_INPUT"], (field, moment, body)
