"""Lean field resolvers (issue 18, round 5): the same resolver functions, called with less around them.

Strawberry resolves every field through generic wrappers: a field without a resolver through
`field.get_result` (~5 calls for a getattr), a field with one through an Info object, argument
conversion, the field-extension chain (built per call with `reduce` and `partial`) and, for an
`async def`, two more coroutines (`_async_resolver`, `await_maybe`) around the resolver's own.
For the fields where none of that does anything, this sets the graphql-core field's `resolve`
to a direct call with the same effect:
- no resolver, no field extension: `getattr(source, python_name)` (strawberry's default
  resolver, `StrawberryConfig.default_resolver`, is getattr: checked);
- a plain function resolver (not a classmethod/staticmethod) without GraphQL arguments, without
  `root`/`parent` parameters, without field extensions (permissions, input mutations and
  connections are extensions): `func(source, info=Info(...))` as strawberry calls it; an async
  one's coroutine goes to graphql-core, which awaits it as it awaited strawberry's.
Fields of the subscription type, and every field when the schema has exception handlers, keep
strawberry's resolvers. Results, errors and their paths are unchanged (the whole suite runs
through these).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType

BACKREF = "strawberry-definition"


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    resolve._is_default = True  # type: ignore[attr-defined]  # as strawberry marks its own
    resolve._attribute = name  # type: ignore[attr-defined]  # read directly by schema/fast_leaves.py
    return resolve


def _direct(
    func: Callable[..., Any], field: Any, info_class: type, self_arg: bool, info_name: str | None
) -> Callable[..., Any]:
    if info_name is None:
        if self_arg:

            def resolve(source: Any, info: Any) -> Any:
                return func(source)
        else:

            def resolve(source: Any, info: Any) -> Any:
                return func()
    elif self_arg:

        def resolve(source: Any, info: Any) -> Any:
            return func(source, **{info_name: info_class(_raw_info=info, _field=field)})
    else:

        def resolve(source: Any, info: Any) -> Any:
            return func(**{info_name: info_class(_raw_info=info, _field=field)})

    resolve._is_default = False  # type: ignore[attr-defined]
    return resolve


def lean_resolvers(schema: Any) -> tuple[int, int]:
    """Install the direct resolvers on `schema` (a strawberry Schema); (attributes, resolvers)."""
    converter = schema.schema_converter
    if getattr(converter, "_exception_handler_specs", None) or schema.config.default_resolver is not getattr:
        return 0, 0
    graphql_schema = schema._schema
    subscription = graphql_schema.subscription_type
    attributes = resolvers = 0
    for graphql_type in graphql_schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type is subscription:
            continue
        if (graphql_type.extensions or {}).get(BACKREF) is None:
            continue
        for graphql_field in graphql_type.fields.values():
            field = (graphql_field.extensions or {}).get(BACKREF)
            if field is None or field.extensions or getattr(field, "is_subscription", False):
                continue
            if not getattr(graphql_field.resolve, "__qualname__", "").startswith("GraphQLCoreConverter."):
                continue  # not strawberry's (e.g. schema/nodes.py's ids): left as it is
            resolver = field.base_resolver
            if resolver is None:
                graphql_field.resolve = _attribute(field.python_name)
                attributes += 1
                continue
            func = resolver.wrapped_func
            if (
                graphql_field.args
                or not inspect.isfunction(func)
                or resolver.parent_parameter is not None
                or resolver.root_parameter is not None
            ):
                continue
            info = resolver.info_parameter
            expected = {p.name for p in (resolver.self_parameter, info) if p is not None}
            if set(inspect.signature(func).parameters) != expected:
                continue  # anything else (defaults, *args) keeps strawberry's argument handling
            graphql_field.resolve = _direct(
                func, field, schema.config.info_class, resolver.self_parameter is not None, info and info.name
            )
            resolvers += 1
    return attributes, resolvers
