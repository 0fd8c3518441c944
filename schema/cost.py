"""Query cost limit: an estimate of how many field resolutions a query can cause.

cost(field) = multiplier × (1 + cost(its selections)), where the multiplier is the field's
`first` argument (literal or variable) or, for a connection asked without `first`, the default
page size (20); other fields count once. A query over MAX_QUERY_COST is refused before it runs,
with `extensions.code = "QUERY_TOO_COSTLY"`. Pure AST work: no per-field resolve hook.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

DEFAULT_PAGE = 20
MAX_NESTING = 50


def _multiplier(field: FieldNode, variables: dict[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return max(1, int(value.value))
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return max(1, int(given)) if isinstance(given, int) else DEFAULT_PAGE
    if field.selection_set and any(
        isinstance(s, FieldNode) and s.name.value == "edges" for s in field.selection_set.selections
    ):
        return DEFAULT_PAGE
    return 1


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection, seen
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


def _cost(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    seen: frozenset[str] = frozenset(),
    depth: int = 0,
) -> int:
    if selection_set is None or depth > MAX_NESTING:
        return 0
    total = 0
    for field, inner_seen in _fields(selection_set, fragments, seen):
        inner = _cost(field.selection_set, fragments, variables, inner_seen, depth + 1)
        total += _multiplier(field, variables) * (1 + inner)
    return total


def query_cost(document: DocumentNode, variables: dict[str, Any] | None, operation_name: str | None) -> int:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    return max((_cost(o.selection_set, fragments, variables or {}) for o in operations), default=0)


class QueryCostLimiter(SchemaExtension):
    def __init__(self, max_cost: int) -> None:
        super().__init__()
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        if context.graphql_document is not None:
            cost = query_cost(context.graphql_document, context.variables, context.operation_name)
            if cost > self.max_cost:
                error = GraphQLError(
                    f"Query cost {cost} exceeds the limit of {self.max_cost}; ask for fewer items",
                    extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.max_cost},
                )
                context.result = ExecutionResult(data=None, errors=[error])
        yield
