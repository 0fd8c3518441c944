"""Per-field execution cost (issue 18, round 5): node ids resolved directly, same answers."""

from __future__ import annotations

import strawberry
from strawberry import relay

from schema.ids import encode
from schema.nodes import ModelNode, _global_id, plain_ids
from tests.helpers import gql, register


async def test_every_model_node_id_resolved_directly(app):
    graphql_schema = app.state.schema._schema
    nodes = [
        t
        for t in graphql_schema.type_map.values()
        if isinstance(getattr((t.extensions or {}).get("strawberry-definition"), "origin", None), type)
        and issubclass(t.extensions["strawberry-definition"].origin, ModelNode)
    ]
    assert len(nodes) >= 20
    assert all(t.fields["id"].resolve is _global_id for t in nodes)


async def test_served_id_finds_its_node(client):
    token, user_id, _ = await register(client)
    data = await gql(client, "{ me { id } }", token=token)
    assert data["data"]["me"]["id"] == user_id
    assert relay.GlobalID.from_id(user_id).type_name == "User"
    found = await gql(client, "query($i: ID!) { node(id: $i) { id } }", {"i": user_id}, token=token)
    assert found["data"]["node"]["id"] == user_id


@strawberry.type
class Odd(ModelNode):
    id: relay.NodeID[int]

    @classmethod
    def resolve_id(cls, root, *, info):  # noqa: ANN001, ANN206
        return f"odd-{root.id}"


@strawberry.type
class Plain(ModelNode):
    id: relay.NodeID[int]


@strawberry.type
class OddQuery:
    @strawberry.field
    def odd(self) -> Odd:
        return Odd(id=7)

    @strawberry.field
    def plain(self) -> Plain:
        return Plain(id=7)


def test_a_node_with_its_own_resolve_id_keeps_relays_resolver():
    schema = strawberry.Schema(query=OddQuery)
    before = schema.execute_sync("{ odd { id } plain { id } }").data
    assert plain_ids(schema._schema) == 1
    assert schema._schema.type_map["Odd"].fields["id"].resolve is not _global_id
    after = schema.execute_sync("{ odd { id } plain { id } }").data
    assert after == before == {"odd": {"id": encode("Odd", "odd-7")}, "plain": {"id": encode("Plain", 7)}}
