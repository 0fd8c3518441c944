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

*Plain object fields* (round 10) are completed here too: an attribute field without arguments
or directives whose type is an object type or a list of non-null objects (`edges`, `node`,
`pageInfo` of every connection) goes straight to `execute_fields` of its object type with the
subfields graphql-core collects (memoised), instead of `execute_field`, resolve info, the
resolver call and `complete_value`'s dispatch for the field and for every item. It is taken only
when the answer cannot differ: a list or tuple (an object) that is present, items that are not
None, awaitables or exceptions, the type's `is_type_of` strawberry's own (it ignores the info)
and true for each, no `@defer` below and no deferred position. Otherwise the field goes through
`execute_field`, which reads it again (attribute reads have no side effects) and answers as
graphql-core does. Errors below are handled as `execute_field`, `complete_list_item_value` and
their awaiting wrappers handle them: located at the item's or field's path, raised past a
non-null type, collected and null at a nullable one.

`execute_fields` below is graphql-core 3.3.2's `Executor.execute_fields` with the leaf and
object steps added; tests/test_fast_leaves.py fails when graphql-core's changes, so an upgrade
is reviewed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLEnumType,
    GraphQLList,
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


class Nested(NamedTuple):
    """A plain object field: read by attribute, completed by `execute_fields` of its object type."""

    read: Callable[[Any], Any]
    return_type: Any  # the field's type, for its errors
    object_type: GraphQLObjectType
    item_type: Any  # NonNull(object_type) for a list, None for one object
    is_type_of: Callable[[Any, Any], bool] | None


# One step per response name: (response name, field group, leaf, plain object); neither: execute_field.
Step = tuple[str, FieldDetailsList, Leaf | None, Nested | None]

# Values that are never awaitable nor exceptions: the common leaf values skip those two checks.
_PLAIN_TYPES = frozenset((str, int, float, bool))
# What `_nested` answers when the field must go through graphql-core's execute_field.
_FALLBACK = object()
# Strawberry's generated is_type_of (an isinstance check) ignores its info argument.
_STRAWBERRY_CONVERTER = "strawberry.schema.schema_converter"

_LEAVES: WeakKeyDictionary[GraphQLObjectType, dict[str, Leaf | Nested | None]] = WeakKeyDictionary()


def _nested_of(field_type: Any, name: str) -> Nested | None:
    """The plain-object reading of an attribute field of `field_type`, or None."""
    inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
    item_type = None
    if isinstance(inner, GraphQLList):
        item_type = inner.of_type
        if not isinstance(item_type, GraphQLNonNull):  # nullable items: errors stop at each item
            return None
        inner = item_type.of_type
    if not isinstance(inner, GraphQLObjectType):
        return None
    is_type_of = inner.is_type_of
    if is_type_of is not None and getattr(is_type_of, "__module__", None) != _STRAWBERRY_CONVERTER:
        return None
    return Nested(attrgetter(name), field_type, inner, item_type, is_type_of)


def _leaf(parent_type: GraphQLObjectType, field_name: str, field: Any) -> Leaf | Nested | None:
    """How to complete `parent_type.field_name` directly, or None if it is neither a plain leaf
    nor a plain object field."""
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
    resolve = field.resolve
    name = getattr(resolve, "_attribute", None)
    if not isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
        return _nested_of(field.type, name) if isinstance(name, str) else None
    if isinstance(name, str):
        return attrgetter(name), field_type.coerce_output_value, nullable
    parent_named = getattr(resolve, "_parent_named", None)
    if callable(parent_named):

        def read(source: Any) -> Any:
            return parent_named(type_name, source)

        return read, field_type.coerce_output_value, nullable
    return None


def leaf_of(schema: Any, parent_type: GraphQLObjectType, field_name: str) -> Leaf | Nested | None:
    """The plain-leaf or plain-object reading of a field, cached per object type."""
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
        any_fast = False
        for response_name, field_details_list in grouped_field_set.items():
            found = leaf_of(self.schema, parent_type, field_details_list[0].node.name.value)
            if isinstance(found, Nested):
                # @stream (or any directive left on the field) is graphql-core's to handle.
                nested = None if any(d.node.directives for d in field_details_list) else found
                steps.append((response_name, field_details_list, None, nested))
                any_fast = any_fast or nested is not None
            else:
                steps.append((response_name, field_details_list, found, None))
                any_fast = any_fast or found is not None
        return steps if any_fast else None

    def _nested(
        self,
        nested: Nested,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        response_name: str,
        field_details_list: FieldDetailsList,
    ) -> Any:
        """The completed plain object field (maybe awaitable; None after a handled error), or
        _FALLBACK when graphql-core must complete it."""
        try:
            value = nested.read(source)
        except Exception:  # noqa: BLE001  # execute_field reads it again and reports it
            return _FALLBACK
        is_type_of = nested.is_type_of
        is_awaitable = self.is_awaitable
        if nested.item_type is not None:
            if type(value) is not list and type(value) is not tuple:
                return _FALLBACK
            for item in value:
                if item is None or isinstance(item, Exception) or is_awaitable(item):
                    return _FALLBACK
                if is_type_of is not None and not is_type_of(item, None):
                    return _FALLBACK
        elif value is None or isinstance(value, Exception) or is_awaitable(value):
            return _FALLBACK
        elif is_type_of is not None and not is_type_of(value, None):
            return _FALLBACK
        grouped_field_set, new_defer_usages, _forbidden = self.collect_subfields(
            nested.object_type, field_details_list
        )
        if new_defer_usages:
            return _FALLBACK
        field_path = Path(path, response_name, parent_type.name)
        try:
            if nested.item_type is None:
                completed = self.execute_fields(
                    nested.object_type, value, field_path, grouped_field_set, None
                )
            else:
                completed = self._items(nested, field_details_list, field_path, value, grouped_field_set)
        except Exception as raw_error:  # as execute_field: located, raised past non-null, else null
            self.handle_field_error(raw_error, nested.return_type, field_details_list, field_path)
            return None
        if is_awaitable(completed):
            return self._awaiting(completed, nested.return_type, field_details_list, field_path)
        return completed

    def _items(
        self,
        nested: Nested,
        field_details_list: FieldDetailsList,
        path: Path,
        items: list[Any] | tuple[Any, ...],
        grouped_field_set: GroupedFieldSet,
    ) -> Any:
        """graphql-core's complete_iterable_value + complete_list_item_value for non-null objects."""
        execute_fields = self.execute_fields
        is_awaitable = self.is_awaitable
        object_type, item_type = nested.object_type, nested.item_type
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    value = execute_fields(object_type, item, item_path, grouped_field_set, None)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    value = None
                else:
                    if is_awaitable(value):
                        value = self._awaiting(value, item_type, field_details_list, item_path)
                        awaitable_indices.append(index)
                completed.append(value)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        if not awaitable_indices:
            return completed

        async def get_completed() -> list[Any]:
            if len(awaitable_indices) == 1:
                index = awaitable_indices[0]
                completed[index] = await completed[index]
            else:
                awaited = await gather_with_cancel(*(completed[index] for index in awaitable_indices))
                for index, result in zip(awaitable_indices, awaited, strict=True):
                    completed[index] = result
            return completed

        return get_completed()

    async def _awaiting(
        self, completed: Awaitable[Any], return_type: Any, field_details_list: FieldDetailsList, path: Path
    ) -> Any:
        """execute_field's await_completed: a late error handled at this field's (item's) path."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

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
            for response_name, field_details_list, leaf, nested in steps:
                if nested is not None and position_context is None:
                    value = self._nested(
                        nested, parent_type, source_value, path, response_name, field_details_list
                    )
                    if value is not _FALLBACK:
                        results[response_name] = value
                        if is_awaitable(value):  # _awaiting's coroutine
                            append_awaitable(response_name)
                        continue
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
