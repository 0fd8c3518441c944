"""Refuse text no store can keep: NUL characters (PostgreSQL text cannot hold them).

Checked once per operation over the document's string literals and the variables, before
anything runs, so no resolver has to remember it and no write is half done.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class _NulFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if "\x00" in node.value:
            self.found = True


class RejectNulCharacters(SchemaExtension):
    def on_execute(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        finder = _NulFinder()
        query = context.query or ""
        # Only a document with an escape or a raw NUL can hold one: skip the walk otherwise.
        if context.graphql_document is not None and ("\\u" in query or "\x00" in query):
            visit(context.graphql_document, finder)
        if finder.found or _has_nul(context.variables):
            error = GraphQLError(
                "Text must not contain NUL characters", extensions={"code": "BAD_USER_INPUT"}
            )
            context.result = ExecutionResult(data=None, errors=[error])
        yield
