"""The query cost of an operation whose variables reach no `first` or `ids` argument is walked
once per document (schema/cost.py; bench/README §14.2); its variables are still coerced and the
limit still applied on every request."""

from __future__ import annotations

from types import SimpleNamespace

from graphql import parse

from schema.cost import cost_refusal
from tests.helpers import gql
from tests.test_request_overhead import counting_costs

NEARBY = (
    "query($lat: Float!, $lng: Float!) { restaurantsNearby(lat: $lat, lng: $lng, radiusKm: 3, first: 5) "
    "{ edges { node { id name distanceKm } } } } # cost cache"
)
PAGED_BY_VARIABLE = (
    "query($lat: Float!, $n: Int) { restaurantsNearby(lat: $lat, lng: 104.06, first: $n) "
    "{ edges { node { id } } } } # cost cache"
)
IDS_BY_VARIABLE = "mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) { __typename } } # cost cache"


async def test_variables_outside_first_and_ids_are_walked_once(client, monkeypatch):
    calls = counting_costs(monkeypatch)
    for lat in (30.60, 30.61, 30.62):
        assert "errors" not in await gql(client, NEARBY, {"lat": lat, "lng": 104.06})
    assert len(calls) == 1
    # each request's variables are still coerced, and refused as before
    body = await gql(client, NEARBY, {"lat": "north", "lng": 104.06}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT" and body.get("data") is None
    body = await gql(client, NEARBY, {"lng": 104.06}, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(calls) == 1


def test_the_known_cost_still_meets_the_limit(app):
    known: dict[str | None, int] = {}

    def refusal(lat: object, max_cost: int):  # noqa: ANN202
        context = SimpleNamespace(
            schema=app.state.schema,
            graphql_document=parse(NEARBY),
            operation_name=None,
            variables={"lat": lat, "lng": 104.06},
        )
        return cost_refusal(context, max_cost, hide_suggestions=True, known=known)

    assert refusal(30.6, 1000) is None
    assert list(known.values()) == [22]  # connection 1 + edges (1 + 5 × (edge node 1 + 3 fields))
    for lat in (30.6, 30.7):
        errors = refusal(lat, 21).errors
        assert errors[0].extensions["code"] == "QUERY_TOO_COSTLY"
    assert refusal("north", 21).errors[0].extensions["code"] == "BAD_USER_INPUT"  # coercion first


async def test_first_or_ids_from_a_variable_are_walked_each_time(client, monkeypatch):
    calls = counting_costs(monkeypatch)
    for n in (1, 2, 3):
        assert "errors" not in await gql(client, PAGED_BY_VARIABLE, {"lat": 30.6, "n": n})
    assert len(calls) == 3
    for ids in (None, []):
        await gql(client, IDS_BY_VARIABLE, {"ids": ids}, expect_errors=True)
    assert len(calls) == 5
