"""Resolvers with arguments called directly (schema/lean.py, issue 18 round 13): the same
values reach the resolver as through strawberry's argument conversion, for every kind of
argument, and the app's hot fields take the direct call."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry
from strawberry import relay

from schema.lean import lean_resolvers


@strawberry.enum
class Spice(enum.Enum):
    MILD = "mild"
    HOT = "hot"


@strawberry.input
class Where:
    city: str
    spice: Spice | None = None
    near: list[float] | None = None


@strawberry.type
class Query:
    @strawberry.field
    def scalars(self, info: strawberry.Info, a: int, b: float | None = 2.5, c: str | None = None) -> str:
        return repr((a, b, c, info.field_name))

    @strawberry.field
    async def later(self, n: int) -> int:
        return n * 2

    @strawberry.field
    def named_like_the_call(self, source: str, parent: str = "p") -> str:
        return repr((source, parent))

    @strawberry.field
    def inputs(self, where: Where, spice: Spice = Spice.MILD, tags: list[str] | None = None) -> str:
        return repr((where, spice, tags))

    @strawberry.field
    def global_id(self, id: relay.GlobalID) -> str:
        return repr((id.type_name, id.node_id))

    @strawberry.field
    def maybe(self, note: strawberry.Maybe[str | None] = None) -> str:
        return repr(note)

    @strawberry.field
    @staticmethod
    def static(a: int) -> int:
        return a + 1


DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    ("{ scalars(a: 1) }", None),
    ("{ scalars(a: 1, b: null, c: \"火锅\") }", None),
    ("query($b: Float) { scalars(a: 3, b: $b) }", {}),
    ("query($b: Float) { scalars(a: 3, b: $b) }", {"b": None}),
    ("{ later(n: 21) }", None),
    ('{ namedLikeTheCall(source: "s", parent: "i") namedLikeTheCall2: namedLikeTheCall(source: "t") }', None),
    ('{ inputs(where: {city: "成都", spice: HOT, near: [1, 2]}, tags: ["a"]) }', None),
    ("query($w: Where!) { inputs(where: $w, spice: HOT) }", {"w": {"city": "重庆"}}),
    ('{ globalId(id: "VXNlcjo3") }', None),
    ('{ globalId(id: "not base64") }', None),
    ("{ maybe }", None),
    ("{ maybe(note: null) }", None),
    ('{ maybe(note: "x") }', None),
    ("{ static(a: 1) }", None),
]


def _schema(lean: bool) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query)
    if lean:
        lean_resolvers(schema)
    return schema


def test_the_direct_call_is_installed_where_strawberrys_conversion_does_nothing_else():
    fields = _schema(True)._schema.query_type.fields
    direct = {name for name, f in fields.items() if "_direct" in getattr(f.resolve, "__qualname__", "")}
    assert direct == {"scalars", "later", "namedLikeTheCall", "inputs", "globalId", "maybe", "static"}


@pytest.mark.parametrize(("document", "variables"), DOCUMENTS, ids=[d for d, _ in DOCUMENTS])
async def test_the_same_values_reach_the_resolver(document, variables):
    answers = []
    for lean in (False, True):
        result = await _schema(lean).execute(document, variable_values=variables)
        answers.append((result.data, [(e.message, e.path) for e in result.errors or []]))
    assert answers[0] == answers[1]


async def test_the_apps_hot_fields_are_called_directly(app):
    fields = app.state.schema._schema
    for type_name, field_name in [
        ("Query", "restaurantsNearby"),
        ("Query", "nearbyFoodies"),
        ("Query", "feed"),
        ("Mutation", "claimDeal"),  # an input object argument: converted as strawberry does
        ("Mutation", "redeemVoucher"),
        ("Restaurant", "dishes"),
    ]:
        resolve = fields.get_type(type_name).fields[field_name].resolve
        assert resolve.__qualname__.startswith("_direct_with_arguments"), (type_name, field_name)
