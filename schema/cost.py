"""Query cost limit: an estimate of how many objects a query can make the server resolve.

Computed on what the executor will run, not on the text: fragments (named and inline) are
expanded, variables are coerced by graphql-core with their defaults applied, and lists are
recognised by the field's return type in the schema, not by a field called `edges` or a literal
`first:`. cost(field) = 1 + n × cost(its selections), where n is 1 for a single object and, for
a list, the `first` argument of the field or of the connection it pages (the default page size
when omitted), the number of ids it was given, or else DEFAULT_PAGE. A query over MAX_QUERY_COST
is refused before it runs (`QUERY_TOO_COSTLY`); variables that don't coerce are refused as
`BAD_USER_INPUT`. Operation-level work only (schema/pipeline.py's on_execute): no per-field
resolve hook.

The cost depends on the variables only through `first` and `ids` arguments. An operation whose
variables reach neither (restaurantsNearby's `$lat`, `$lng`) is walked once per document: later
requests still coerce their variables (a refusal is per request), then take the walk's result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry.types import ExecutionResult

from core.pagination import DEFAULT_PAGE, MAX_PAGE
from schema.errors import with_code


def _is_list(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


PAGING_ARGUMENTS = ("first", "ids")  # the arguments whose values the walk reads


def _has_variable(value: ValueNode) -> bool:
    if isinstance(value, VariableNode):
        return True
    if isinstance(value, ListValueNode):
        return any(_has_variable(item) for item in value.values)
    if isinstance(value, ObjectValueNode):
        return any(_has_variable(field.value) for field in value.fields)
    return False


def _is_connection(type_: GraphQLOutputType) -> bool:
    named = get_named_type(type_)
    return isinstance(named, GraphQLObjectType) and "edges" in named.fields and "pageInfo" in named.fields


class CostCalculator:
    """Walks one operation with the schema's field definitions (what graphql-core's TypeInfo tracks)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: VariableValues) -> None:
        self.schema = schema
        self.variables = variables
        self.pages_from_variables = False  # a `first` or `ids` argument took a variable
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        return self._selections(operation.selection_set, root, None, frozenset()) if root else 0

    def _fields(
        self, selection_set: SelectionSetNode, parent: Any, seen: frozenset[str]
    ) -> Iterator[tuple[FieldNode, Any, frozenset[str]]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent, seen
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                yield from self._fields(selection.selection_set, inner, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    inner = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, inner, seen | {name})

    def _selections(
        self, selection_set: SelectionSetNode | None, parent: Any, page: int | None, seen: frozenset[str]
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node, owner, inner_seen in self._fields(selection_set, parent, seen):
            definition = getattr(owner, "fields", {}).get(node.name.value)
            if definition is None:  # __typename and other introspection fields
                total += 1
                continue
            arguments = self._arguments(definition, node)
            connection = _is_connection(definition.type)
            own_page = self._page(definition, arguments)
            if _is_list(definition.type):
                count = own_page or page or len(arguments.get("ids") or ()) or DEFAULT_PAGE
            else:
                count = 1
            inner = self._selections(
                node.selection_set,
                get_named_type(definition.type),
                own_page if connection else None,
                inner_seen,
            )
            total += 1 + count * inner
        return total

    def _arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        if not definition.args:
            return {}
        if not self.pages_from_variables:
            self.pages_from_variables = any(
                a.name.value in PAGING_ARGUMENTS and _has_variable(a.value) for a in node.arguments or ()
            )
        try:
            return get_argument_values(definition, node, self.variables)
        except GraphQLError:  # validation passed, so only out-of-range values end here
            return {}

    @staticmethod
    def _page(definition: GraphQLField, arguments: dict[str, Any]) -> int | None:
        """Items one page holds: `first`, the default page size when omitted (None: not paged)."""
        if "first" not in definition.args:
            return None
        first = arguments.get("first")
        return DEFAULT_PAGE if first is None else min(max(int(first), 1), MAX_PAGE)


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, given: dict[str, Any] | None, hide: bool
) -> VariableValues | list[GraphQLError]:
    result = get_variable_values(
        schema, operation.variable_definitions or (), given or {}, max_errors=20, hide_suggestions=hide
    )
    if isinstance(result, list):
        return [with_code(e, "BAD_USER_INPUT") for e in result]
    return result


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> int:
    """The cost of the operation that would run (0 when none is selected: execution reports that)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    coerced = coerce_variables(schema, operation, variables, hide=False)
    if isinstance(coerced, list):
        return 0
    return CostCalculator(schema, document, coerced).operation(operation)


def cost_refusal(
    context: Any, max_cost: int, hide_suggestions: bool, known: dict[str | None, int] | None = None
) -> ExecutionResult | None:
    """The refusal of the operation about to run (variables that don't coerce, or over
    `max_cost`), None to run it. `known` keeps, by operation name, the cost of operations whose
    cost depends on the document alone (no variables, or none in a `first` or `ids` argument):
    with the validated document's cache (schema/validation.py), a repeated document is walked once."""
    document = context.graphql_document
    operation = _operation(document, context.operation_name) if document is not None else None
    if operation is None:
        return None
    checked = operation_cost_refusal(context, operation, max_cost, hide_suggestions, known)
    return checked if isinstance(checked, ExecutionResult) else None


def operation_cost_refusal(
    context: Any,
    operation: OperationDefinitionNode,
    max_cost: int,
    hide_suggestions: bool,
    known: dict[str | None, int] | None = None,
) -> ExecutionResult | VariableValues | None:
    """`cost_refusal` of the selected `operation`; when it may run, its coerced variables (None
    when it declares none), which the direct lane (schema/direct.py) executes with."""
    operation_name = context.operation_name
    document = context.graphql_document
    schema = context.schema._schema
    cost = known.get(operation_name) if known is not None else None
    if operation.variable_definitions:  # coerced on every request, whatever is known
        coerced = coerce_variables(schema, operation, context.variables, hide_suggestions)
        if isinstance(coerced, list):
            return ExecutionResult(data=None, errors=coerced)
    else:
        coerced = None
    if cost is None:
        calculator = CostCalculator(schema, document, coerced or VariableValues({}, {}))
        cost = calculator.operation(operation)
        if known is not None and not calculator.pages_from_variables:
            known[operation_name] = cost
    if cost > max_cost:
        error = GraphQLError(
            f"Query cost {cost} exceeds the limit of {max_cost}; ask for fewer items",
            extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": max_cost},
        )
        return ExecutionResult(data=None, errors=[error])
    return coerced
