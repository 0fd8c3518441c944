"""Plain leaf fields completed in a tight loop (issue 18, round 8).

After schema/lean.py and schema/nodes.py `plain_ids`, what a field such as `Review.rating` still
costs is graphql-core's own machinery: `execute_fields` builds a `Path`, `execute_field` looks the
field up, builds a `GraphQLResolveInfo` (strawberry's subclass, 15 arguments), calls the resolver,
checks for an awaitable twice, then `complete_value` unwraps the NonNull and `complete_leaf_value`
coerces. For a feed page that is ~280 fields, about half of them plain leaves, each paying all of
that to end in `getattr(source, name)` and `coerce_output_value`.

`FastLeavesExecutionContext.execute_fields` completes *plain leaf fields* itself:
- the graphql field's `resolve` is one of schema/lean.py's attribute getters (marked
  `_attribute = name`: the value is `getattr(source, name)`) or schema/nodes.py's node-id
  resolver (marked `_parent_named`: the value is that function of the parent type's name and
  the source, the same function the resolver calls);
- the field has no arguments and its type, after one NonNull, is a scalar or an enum.
Its value then goes straight to the type's `coerce_output_value`; None of a nullable field is
null (graphql-core's answer, no error), and `__typename` is the object type's name. Whenever
anything is unusual — None of a non-null field, an awaitable or an exception, reading or
coercing raises, the coercion gives None or Undefined — the field goes through graphql-core's
`execute_field` as before, which reads it again and produces exactly graphql-core's result,
error, path and null propagation. Every other field (objects, lists, resolvers, other meta
fields) goes through `execute_field` unchanged; the response keeps the selection's order
(results are stored in the grouped field set's order).

What is worked out per field is cached per object type (`_LEAVES`, for the schema's life); what
is worked out per selection (which response names are plain leaves, and how to read them) is
cached per request on the executor, keyed by the grouped field set, which graphql-core itself
memoises per (type, field group), so a list of 20 items builds it once.

The fast path is off when graphql-core middleware is present (strawberry adds a middleware
manager with middlewares when an extension implements `resolve`: they must see every field) and
for subscriptions (each event collects its root fields anew; caching per grouped field set would
grow with every event). `Settings.fast_leaves` (`FAST_LEAVES=0`) leaves strawberry's execution
context in place, for measuring.

`execute_fields` below is graphql-core 3.3.2's `Executor.execute_fields` with the leaf step
added; tests/test_fast_leaves.py fails when graphql-core's changes, so an upgrade is reviewed.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationType,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# How to read a plain leaf from its source, how to coerce what was read, and whether the field
# is nullable (None then completes as null, as graphql-core completes it, without an error).
Leaf = tuple[Callable[[Any], Any], Callable[[Any], Any], bool]
# One step per response name: (response name, field group, leaf or None for execute_field).
Step = tuple[str, FieldDetailsList, Leaf | None]

# Values that are never awaitable nor exceptions: the common leaf values skip those two checks.
_PLAIN_TYPES = frozenset((str, int, float, bool))

_LEAVES: WeakKeyDictionary[GraphQLObjectType, dict[str, Leaf | None]] = WeakKeyDictionary()


def _leaf(parent_type: GraphQLObjectType, field_name: str, field: Any) -> Leaf | None:
    """How to complete `parent_type.field_name` directly, or None if it is not a plain leaf."""
    type_name = parent_type.name
    if field_name == "__typename":  # what Apollo-style clients add to every selection

        def typename(source: Any) -> str:
            return type_name

        return typename, str, False
    if field is None or field.args:
        return None
    field_type = field.type
    nullable = not isinstance(field_type, GraphQLNonNull)
    if not nullable:
        field_type = field_type.of_type
    if not isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
        return None
    resolve = field.resolve
    name = getattr(resolve, "_attribute", None)
    if isinstance(name, str):
        return attrgetter(name), field_type.coerce_output_value, nullable
    parent_named = getattr(resolve, "_parent_named", None)
    if callable(parent_named):

        def read(source: Any) -> Any:
            return parent_named(type_name, source)

        return read, field_type.coerce_output_value, nullable
    return None


def leaf_of(schema: Any, parent_type: GraphQLObjectType, field_name: str) -> Leaf | None:
    """The plain-leaf reading of a field, cached per object type."""
    fields = _LEAVES.get(parent_type)
    if fields is None:
        fields = _LEAVES[parent_type] = {}
    try:
        return fields[field_name]
    except KeyError:
        leaf = fields[field_name] = _leaf(parent_type, field_name, schema.get_field(parent_type, field_name))
        return leaf


class FastLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain leaf fields without ResolveInfo/Path."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self.fast_leaves = (middleware is None or not middleware.middlewares) and (
            self.operation.operation != OperationType.SUBSCRIPTION
        )
        # (parent type, id of a grouped field set) -> (that set, kept alive so its id stays
        # its own, and its steps). Shared with sub-executors (shallow copies), as graphql-core's
        # own memo of collected subfields is.
        self._steps: dict[tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, list[Step] | None]] = {}

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> list[Step] | None:
        steps: list[Step] = []
        any_leaf = False
        for response_name, field_details_list in grouped_field_set.items():
            leaf = leaf_of(self.schema, parent_type, field_details_list[0].node.name.value)
            any_leaf = any_leaf or leaf is not None
            steps.append((response_name, field_details_list, leaf))
        return steps if any_leaf else None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        steps = None
        if self.fast_leaves:
            key = (parent_type, id(grouped_field_set))
            planned = self._steps.get(key)
            if planned is None:
                planned = self._steps[key] = (grouped_field_set, self._plan(parent_type, grouped_field_set))
            steps = planned[1]
        if steps is None:  # off, or no plain leaf here: graphql-core's loop as it is
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )

        # From here graphql-core 3.3.2's Executor.execute_fields, with the leaf step first.
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        append_awaitable = awaitable_fields.append
        try:
            for response_name, field_details_list, leaf in steps:
                if leaf is not None:
                    try:
                        value = leaf[0](source_value)
                        if value is None:
                            if leaf[2]:  # nullable: null, as graphql-core completes it
                                results[response_name] = None
                                continue
                        elif type(value) in _PLAIN_TYPES or not (
                            is_awaitable(value) or isinstance(value, Exception)
                        ):
                            coerced = leaf[1](value)
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # noqa: BLE001, S110  # graphql-core's path below reports it
                        pass
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    field_path,
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        append_awaitable(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited_results = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited_results, strict=True))
            return results

        return get_results()
