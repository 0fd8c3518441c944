"""Lean field resolvers (issue 18, round 5): the same resolver functions, called with less around them.

Strawberry resolves every field through generic wrappers: a field without a resolver through
`field.get_result` (~5 calls for a getattr), a field with one through an Info object, argument
conversion, the field-extension chain (built per call with `reduce` and `partial`) and, for an
`async def`, two more coroutines (`_async_resolver`, `await_maybe`) around the resolver's own.
For the fields where none of that does anything, this sets the graphql-core field's `resolve`
to a direct call with the same effect:
- no resolver, no field extension: `getattr(source, python_name)` (strawberry's default
  resolver, `StrawberryConfig.default_resolver`, is getattr: checked);
- a plain function resolver (not a classmethod/staticmethod) without `root`/`parent`
  parameters, without field extensions (permissions, input mutations and connections are
  extensions): `func(source, info=Info(...), **arguments)` as strawberry calls it, with the
  arguments graphql-core passed under their Python names, each converted as strawberry's
  `convert_arguments` converts it (`convert_argument` with the same type, registry, config,
  info and path), except plain scalars (Int, Float, String, Boolean, ID or a custom scalar,
  nullable or not), which that conversion returns unchanged and which are passed as they are
  (issue 18, round 13: root fields such as restaurantsNearby, mutations, paginated relations);
  an async resolver's coroutine goes to graphql-core, which awaits it as it awaited strawberry's.
Fields of the subscription type, and every field when the schema has exception handlers, keep
strawberry's resolvers. Results, errors and their paths are unchanged (the whole suite runs
through these).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryOptional, StrawberryType, has_object_definition
from strawberry.types.enum import has_enum_definition

BACKREF = "strawberry-definition"


def _attribute(name: str) -> Callable[..., Any]:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    resolve._is_default = True  # type: ignore[attr-defined]  # as strawberry marks its own
    resolve._attribute = name  # type: ignore[attr-defined]  # read directly by schema/fast_leaves.py
    return resolve


def _direct(
    func: Callable[..., Any],
    field: Any,
    info_class: type,
    self_arg: bool,
    info_name: str | None,
    arguments: tuple[Argument, ...] = (),
) -> Callable[..., Any]:
    if arguments:
        return _direct_with_arguments(func, field, info_class, self_arg, info_name, arguments)
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


# One argument: its GraphQL name, its Python name, and how strawberry converts its value (None:
# passed as graphql-core coerced it).
Argument = tuple[str, str, Callable[[Any, Any], Any] | None]


def _direct_with_arguments(
    func: Callable[..., Any],
    field: Any,
    info_class: type,
    self_arg: bool,
    info_name: str | None,
    arguments: tuple[Argument, ...],
) -> Callable[..., Any]:
    """As `_direct`, passing graphql-core's arguments (GraphQL names) by their Python names,
    converted as strawberry's `convert_arguments` converts them."""

    def resolve(source: Any, info: Any, /, **given: Any) -> Any:  # arguments may be named `source`
        strawberry_info = info_class(_raw_info=info, _field=field)
        kwargs = {}
        for graphql, python, convert in arguments:
            if graphql in given:
                value = given[graphql]
                kwargs[python] = value if convert is None else convert(value, strawberry_info)
        if info_name is not None:
            kwargs[info_name] = strawberry_info
        return func(source, **kwargs) if self_arg else func(**kwargs)

    resolve._is_default = False  # type: ignore[attr-defined]
    return resolve


def _converter(argument: Any, graphql_name: str, schema: Any) -> Callable[[Any, Any], Any] | None:
    """None when strawberry's `convert_argument` returns the value unchanged whatever it is
    (a plain scalar, nullable or not: see the module docstring), else that conversion."""
    kind = argument.type
    if type(kind) is StrawberryOptional:  # not Maybe (a subclass), which wraps in Some
        kind = kind.of_type
    registry = schema.schema_converter.scalar_registry
    plain = not (
        kind is GlobalID
        or isinstance(kind, StrawberryType)  # lists, enums' definitions, unions, lazy types
        or has_enum_definition(kind)
        or has_object_definition(kind)
    ) and is_scalar(kind, registry)
    if plain:
        return None
    config, path = schema.config, (graphql_name,)

    def convert(value: Any, info: Any) -> Any:
        return convert_argument(value, argument.type, registry, config, info, path=path)

    return convert


def _arguments(field: Any, schema: Any) -> tuple[Argument, ...]:
    name_of = schema.config.name_converter.from_argument
    return tuple(
        (name_of(a), a.python_name, _converter(a, name_of(a), schema)) for a in field.arguments
    )


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
            arguments = _arguments(field, schema)
            if (
                not inspect.isfunction(func)
                or resolver.parent_parameter is not None
                or resolver.root_parameter is not None
            ):
                continue
            info = resolver.info_parameter
            expected = {p.name for p in (resolver.self_parameter, info) if p is not None}
            if set(inspect.signature(func).parameters) != expected | {python for _, python, _ in arguments}:
                continue  # anything else (*args, **kwargs) keeps strawberry's argument handling
            graphql_field.resolve = _direct(
                func,
                field,
                schema.config.info_class,
                resolver.self_parameter is not None,
                info and info.name,
                arguments,
            )
            resolvers += 1
    return attributes, resolvers
