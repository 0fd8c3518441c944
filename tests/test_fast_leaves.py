"""Plain leaf fields completed directly (issue 18, round 8: schema/fast_leaves.py): taken for the
feed page and restaurant fields, and every answer exactly graphql-core's (the same JSON bytes with
the fast path on and off), errors, paths and null propagation included."""

from __future__ import annotations

import hashlib
import inspect
import re
from collections import Counter

import pytest
import strawberry
from graphql.execution import Executor
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.accounts import UserNode
from schema.fast_leaves import FastLeavesExecutionContext, leaf_of
from schema.lean import lean_resolvers
from schema.nodes import ModelNode, plain_ids
from tests.helpers import add_dish, gql, open_restaurant, random_spot, register
from tests.media_helpers import upload_photo
from tests.test_feed_cost import EVERY_KIND, FOLLOW, SESSION_FEED, located_reader, write_review
from tests.test_meals import EVENT, east, host_meal, later

# Aliases, a field asked twice, fragments (named and inline), __typename, enums, nulls, lists of
# scalars, node ids at every level, beside every field of every kind the feed shows.
RICH_FEED = """query { feed(first: 20) { edges { cursor node { kind k2: kind ...Item } }
  pageInfo { hasNextPage endCursor } }
  again: feed(first: 2) { edges { node { __typename kind review { id rating rating body } } } } }
fragment Item on FeedItem { createdAt actor { id ...Person } review { __typename id rating
  stars: rating ... on Review { body helpfulCount } author { ...Person } dish { id name priceCents }
  photos { id width thumbnailUrl }
  restaurant { id name address lat lng phone timezone distanceKm cuisines createdAt } } }
fragment Person on User { id displayName bio role cuisines dietary spiceLevel budgetLevel createdAt }"""
RESTAURANT = """query($id: ID!, $lat: Float!, $lng: Float!) {
  restaurant(id: $id) { __typename id name address cuisines phone timezone lat lng createdAt distanceKm
    owner { id displayName role } dishes { edges { node { id name priceCents } } } }
  restaurantsNearby(lat: $lat, lng: $lng, radiusKm: 3, first: 20) {
    edges { cursor node { id name distanceKm lat lng } } pageInfo { hasNextPage } } }"""
ME = "{ me { id displayName bio role spiceLevel budgetLevel createdAt } }"
REQUEST_ID = re.compile(rb',"requestId":"[0-9a-f]+"')  # an internal error's: one per request
SIGNED = re.compile(rb'(https?://[^"?]+)\?[^"]*')  # a photo URL's signature: per second (local, S3)


@pytest.fixture
def execute_field_calls(monkeypatch):
    """(parent type, field name) of every field that goes through graphql-core's execute_field."""
    seen: Counter[tuple[str, str]] = Counter()
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self, parent_type, source, field_details_list, path, position_context):  # noqa: ANN001, ANN202
        seen[(parent_type.name, field_details_list[0].node.name.value)] += 1
        return original(self, parent_type, source, field_details_list, path, position_context)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    return seen


async def both_ways(app, client, monkeypatch, query, variables=None, token=None):
    """The raw response of one request with the fast path, then without: (fast, slow)."""
    schema = app.state.schema
    assert schema.execution_context_class is FastLeavesExecutionContext  # the default
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = {"query": query, "variables": variables or {}}
    fast = await client.post("/graphql", json=body, headers=headers)
    monkeypatch.setattr(schema, "execution_context_class", StrawberryGraphQLCoreExecutionContext)
    slow = await client.post("/graphql", json=body, headers=headers)
    monkeypatch.setattr(schema, "execution_context_class", FastLeavesExecutionContext)
    assert fast.status_code == slow.status_code
    return tuple(SIGNED.sub(rb"\1?signed", REQUEST_ID.sub(b"", r.content)) for r in (fast, slow))


def internal_errors(caplog) -> list[str]:  # noqa: ANN001
    """The messages of the exceptions logged as internal errors (the client sees them masked)."""
    return [str(r.exc_info[1]) for r in caplog.records if r.name == "tablemates.errors" and r.exc_info]


async def a_feed(client):
    """A reader whose feed has reviews (with photos), a shared meal and an event."""
    lat, lng = random_spot()
    owner, near = await open_restaurant(client, lat, lng, name="近处")
    dish = await add_dish(client, owner, near, "毛肚")
    reader, _ = await located_reader(client, *east(lat, lng, 1))
    for i in range(3):
        author, author_id, _ = await register(client, name=f"作者{i}")
        await gql(client, FOLLOW, {"id": author_id}, reader)
        photos = [(await upload_photo(client, author))["id"]] if i == 0 else []
        await write_review(client, author, dish, f"第{i}条", photos)
    _, host_id, _, _ = await host_meal(client, restaurant=near)
    await gql(client, FOLLOW, {"id": host_id}, reader)
    event = {"restaurantId": near, "title": "品鉴会", "startsAt": later(24), "endsAt": later(27), "capacity": 5}
    assert not (await gql(client, EVENT, {"i": event}, owner))["data"]["createRestaurantEvent"]["errors"]
    return reader, near, lat, lng


async def test_the_feed_page_completes_its_leaves_directly_with_the_same_answer(
    app, client, monkeypatch, execute_field_calls
):
    reader, _, _, _ = await a_feed(client)
    for query in (SESSION_FEED, EVERY_KIND, RICH_FEED):
        await gql(client, query, {"first": 20}, reader)  # the viewer known, documents cached
        execute_field_calls.clear()
        fast, slow = await both_ways(app, client, monkeypatch, query, {"first": 20}, reader)
        assert fast == slow  # the same bytes: keys in the same order, the same values
        assert b'"errors"' not in fast and (query is EVERY_KIND or b"thumb" in fast)  # photos in
        # The slow pass sent every field through execute_field, the fast one none of the leaves.
        graphql_schema = app.state.schema._schema
        leaves = {
            key
            for key in execute_field_calls
            if leaf_of(graphql_schema, graphql_schema.type_map[key[0]], key[1]) is not None
        }
        assert leaves >= {("Review", "rating"), ("Review", "id"), ("User", "displayName"), ("FeedItem", "kind")}
        execute_field_calls.clear()
        await gql(client, query, {"first": 20}, reader)
        # No leaf went through it, nullable ones whose value was None (spiceLevel, verifiedAt...)
        # and __typename included.
        executed = [key for key in execute_field_calls if key in leaves and execute_field_calls[key]]
        assert executed == [], executed
        assert sum(execute_field_calls.values()) > 0  # objects, lists and resolvers still go through it


async def test_the_session_feed_page_skips_execute_field_for_each_leaf(app, client, execute_field_calls):
    reader, _, _, _ = await a_feed(client)
    await gql(client, SESSION_FEED, {"first": 20}, reader)
    execute_field_calls.clear()
    page = (await gql(client, SESSION_FEED, {"first": 20}, reader))["data"]["feed"]
    reviews = [e["node"]["review"] for e in page["edges"] if e["node"]["review"]]
    assert len(reviews) == 3
    # kind per item, id rating body per review, displayName, name twice: none of them executed.
    assert execute_field_calls[("FeedItem", "kind")] == 0
    assert execute_field_calls[("Review", "rating")] == 0
    assert execute_field_calls[("Review", "author")] == 3  # relation fields still resolve as before
    assert execute_field_calls[("Photo", "thumbnailUrl")] == 1  # a resolver: not a plain leaf


async def test_restaurant_fields_complete_directly_with_the_same_answer(
    app, client, monkeypatch, execute_field_calls
):
    _, near, lat, lng = await a_feed(client)
    variables = {"id": near, "lat": lat, "lng": lng}
    await gql(client, RESTAURANT, variables)
    execute_field_calls.clear()
    fast, slow = await both_ways(app, client, monkeypatch, RESTAURANT, variables)
    assert fast == slow and b'"errors"' not in fast
    assert execute_field_calls[("Restaurant", "name")] == 2  # the slow pass only: restaurant + 1 nearby
    assert execute_field_calls[("Restaurant", "id")] == 2
    # null on the restaurant's page (nullable: completed as null directly): the slow pass only
    assert execute_field_calls[("Restaurant", "distanceKm")] == 2
    assert execute_field_calls[("Restaurant", "__typename")] == 1  # asked of the restaurant only
    assert execute_field_calls[("Restaurant", "cuisines")] == 2  # a list: both passes


async def test_a_non_null_leaf_resolving_to_none_errors_as_graphql_core_does(app, client, monkeypatch, caplog):
    token, _, _ = await register(client, name="空名字")
    monkeypatch.setattr(UserNode, "derive", {**UserNode.derive, "display_name": lambda row: None})
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    caplog.clear()
    body = await gql(client, ME, token=token, expect_errors=True)
    assert body["data"] == {"me": None}  # null propagated to the nullable parent
    assert [(e["path"], e["locations"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["me", "displayName"], [{"line": 1, "column": 11}], "INTERNAL_SERVER_ERROR")
    ]
    assert internal_errors(caplog) == ["Cannot return null for non-nullable field User.displayName."]


async def test_a_value_its_scalar_cannot_represent_errors_as_graphql_core_does(app, client, monkeypatch):
    token, _, _ = await register(client)
    monkeypatch.setattr(UserNode, "derive", {**UserNode.derive, "spice_level": lambda row: "hot"})
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    body = await gql(client, ME, token=token, expect_errors=True)
    assert body["data"]["me"]["spiceLevel"] is None and body["data"]["me"]["displayName"] == "测试用户"
    assert [(e["message"], e["path"]) for e in body["errors"]] == [
        ("Int cannot represent non-integer value: 'hot'", ["me", "spiceLevel"])
    ]


async def test_an_enum_serializes_as_before(app, client, monkeypatch):
    token, _, _ = await register(client, name="店主", account_type="RESTAURANT")
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    assert (await gql(client, ME, token=token))["data"]["me"]["role"] == "RESTAURANT"
    # A value outside the enum: graphql-core's error, the field nulled up to `me`.
    monkeypatch.setattr(UserNode, "derive", {**UserNode.derive, "role": lambda row: "chef"})
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    body = await gql(client, ME, token=token, expect_errors=True)
    assert body["data"] == {"me": None}
    assert body["errors"][0]["path"] == ["me", "role"]
    assert "cannot represent value" in body["errors"][0]["message"]


async def test_awaitable_and_failing_values_take_graphql_cores_path(app, client, monkeypatch, caplog):
    token, _, _ = await register(client)

    async def later_bio() -> str:
        return "稍后"

    monkeypatch.setattr(UserNode, "derive", {**UserNode.derive, "bio": lambda row: later_bio()})
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    assert (await gql(client, ME, token=token))["data"]["me"]["bio"] == "稍后"
    monkeypatch.setattr(UserNode, "derive", {**UserNode.derive, "bio": lambda row: ValueError("bad")})
    fast, slow = await both_ways(app, client, monkeypatch, ME, token=token)
    assert fast == slow
    caplog.clear()
    body = await gql(client, ME, token=token, expect_errors=True)
    assert body["data"] == {"me": None} and body["errors"][0]["path"] == ["me", "bio"]
    assert internal_errors(caplog) == ["bad"]


# A schema of its own for what the app's schema does not have: middleware and subscriptions.


@strawberry.type
class Thing(ModelNode):
    id: strawberry.relay.NodeID[int]
    name: str


@strawberry.type
class ThingQuery:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(id=i, name=f"n{i}") for i in range(3)]


@strawberry.type
class ThingSubscription:
    @strawberry.subscription
    async def thing(self) -> Thing:  # type: ignore[misc]
        for i in range(2):
            yield Thing(id=i, name=f"s{i}")


def thing_schema(extensions=()) -> strawberry.Schema:  # noqa: ANN001
    schema = strawberry.Schema(
        query=ThingQuery,
        subscription=ThingSubscription,
        extensions=list(extensions),
        execution_context_class=FastLeavesExecutionContext,
    )
    plain_ids(schema._schema)
    lean_resolvers(schema)
    return schema


async def test_fields_go_through_middleware_when_an_extension_resolves(execute_field_calls):
    resolved: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next, root, info, *args, **kwargs):  # noqa: ANN001, ANN201
            resolved.append(f"{info.parent_type.name}.{info.field_name}")
            return _next(root, info, *args, **kwargs)

    plain = await thing_schema().execute("{ things { id name } }")
    watched = await thing_schema([Watch]).execute("{ things { id name } }")
    assert plain.data == watched.data and not watched.errors
    assert resolved.count("Thing.name") == 3 and resolved.count("Thing.id") == 3


async def test_subscriptions_keep_graphql_cores_path(execute_field_calls):
    schema = thing_schema()
    results = [r async for r in await schema.subscribe("subscription { thing { id name } }")]
    assert [r.data for r in results] == [
        {"thing": {"id": "VGhpbmc6MA==", "name": "s0"}},
        {"thing": {"id": "VGhpbmc6MQ==", "name": "s1"}},
    ]
    assert execute_field_calls[("Thing", "name")] == 2
    execute_field_calls.clear()
    assert (await schema.execute("{ things { name } }")).data == {"things": [{"name": f"n{i}"} for i in range(3)]}
    assert execute_field_calls[("Thing", "name")] == 0


# Plain object fields (lists of non-null objects and single objects read by attribute), against
# strawberry's own execution context on the same schema: data, errors and their paths.


@strawberry.type
class Box:
    name: str
    note: str | None = None

    @strawberry.field
    async def later(self) -> str:
        if self.name == "boom":
            raise ValueError("late failure")
        return "ok" if self.name != "none" else None  # type: ignore[return-value]


@strawberry.type
class Shelf(ModelNode):
    id: strawberry.relay.NodeID[int]
    boxes: list[Box]
    top: Box | None = None
    base: Box | None = None


SHELVES: list[object] = []


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def shelves(self) -> list[Shelf] | None:
        return SHELVES  # type: ignore[return-value]

    @strawberry.field
    def shelf_list(self) -> list[Shelf | None]:
        return SHELVES  # type: ignore[return-value]


def shelf_schema(context_class: type) -> strawberry.Schema:
    schema = strawberry.Schema(query=ShelfQuery, execution_context_class=context_class)
    plain_ids(schema._schema)
    lean_resolvers(schema)
    return schema


SHELF_DOCUMENTS = (
    "{ shelves { id boxes { name note } top { name } } }",
    "{ shelves { boxes { name later } base { later } } }",
    "{ shelfList { id boxes { name later } top { name later } } }",
)


def box(name: str) -> Box:
    return Box(name=name, note=None if len(name) % 2 else "注")


@pytest.mark.parametrize(
    "shelves",
    [
        pytest.param(lambda: [Shelf(id=1, boxes=[box("a"), box("bb")], top=box("t")), Shelf(id=2, boxes=[])], id="plain"),
        pytest.param(lambda: [Shelf(id=1, boxes=[box("a"), Box(name=None)])], id="non-null leaf None in an item"),  # type: ignore[arg-type]
        pytest.param(lambda: [Shelf(id=1, boxes=[box("a"), None])], id="None item in a non-null list"),
        pytest.param(lambda: [Shelf(id=1, boxes=(box("a"), box("b")), top=Box(name=None))], id="tuple, None in one object"),  # type: ignore[arg-type]
        pytest.param(lambda: [Shelf(id=1, boxes=iter([box("a")]))], id="an iterator, not a list"),  # type: ignore[arg-type]
        pytest.param(lambda: [Shelf(id=1, boxes=[box("boom"), box("a"), box("none")], base=box("boom"))], id="late errors"),
        pytest.param(lambda: [Shelf(id=1, boxes=[box("a")]), Thing(id=2, name="x")], id="an item of another type"),
        pytest.param(lambda: [Shelf(id=1, boxes=ValueError("bad boxes"))], id="an exception as the value"),  # type: ignore[arg-type]
    ],
)
async def test_plain_object_fields_answer_as_graphql_core_does(shelves, execute_field_calls):
    fast_schema, slow_schema = shelf_schema(FastLeavesExecutionContext), shelf_schema(StrawberryGraphQLCoreExecutionContext)
    for document in SHELF_DOCUMENTS:
        SHELVES[:] = shelves()  # fresh values each time: an iterator is read once
        fast = await fast_schema.execute(document)
        SHELVES[:] = shelves()
        slow = await slow_schema.execute(document)
        assert fast.data == slow.data, document
        assert [(e.message, e.path, e.locations) for e in fast.errors or []] == [
            (e.message, e.path, e.locations) for e in slow.errors or []
        ], document


async def test_plain_object_fields_skip_execute_field(execute_field_calls):
    SHELVES[:] = [Shelf(id=i, boxes=[box("a"), box("bb")], top=box("t")) for i in range(3)]
    schema = shelf_schema(FastLeavesExecutionContext)
    result = await schema.execute("{ shelves { boxes { name later } top { name } } }")
    assert not result.errors and result.data["shelves"][2]["boxes"][1] == {"name": "bb", "later": "ok"}
    assert execute_field_calls[("Shelf", "boxes")] == 0 and execute_field_calls[("Shelf", "top")] == 0
    assert execute_field_calls[("Box", "later")] == 6  # a resolver: graphql-core's path
    assert execute_field_calls[("ShelfQuery", "shelves")] == 1  # a resolver too


async def test_a_connections_edges_and_nodes_skip_execute_field(app, client, execute_field_calls):
    _, near, lat, lng = await a_feed(client)
    variables = {"id": near, "lat": lat, "lng": lng}
    await gql(client, RESTAURANT, variables)
    execute_field_calls.clear()
    body = await gql(client, RESTAURANT, variables)
    assert body["data"]["restaurantsNearby"]["edges"]
    assert execute_field_calls[("RestaurantConnection", "edges")] == 0
    assert execute_field_calls[("RestaurantConnection", "pageInfo")] == 0
    assert execute_field_calls[("RestaurantEdge", "node")] == 0


def test_graphql_cores_execute_fields_is_the_one_copied():
    """schema/fast_leaves.py restates graphql-core 3.3.2's loop and, for plain object fields, the
    error handling of execute_field, complete_iterable_value, complete_list_item_value and
    complete_object_value; an upgrade that changes any of them must be looked at (and these
    digests renewed) before the copy can be trusted."""
    digests = {
        "execute_fields": "797f54fbd779b4e381b688bce8e249abffa2e057974676e5f5ef3cefc0ff654c",
        "execute_field": "5281dc836ecc24a07af71f0174a0deeec566966af66df08a8c929b7b68491602",
        "complete_iterable_value": "bdb49d2d91f1e31265faafd19688f0e68b9b4c92ee8e69431cc67d75c793e431",
        "complete_list_item_value": "8883b4d65a1ae09935ff6f982cf6dfc235500681929ea58a7dabb121fae691d1",
        "complete_object_value": "55e77f58eca1ddc437115408e708ce769b2cb195d9923fa7cecb49abd894da6e",
    }
    for name, digest in digests.items():
        source = inspect.getsource(getattr(Executor, name))
        assert hashlib.sha256(source.encode()).hexdigest() == digest, name
