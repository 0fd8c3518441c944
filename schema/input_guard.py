"""Refuse text no store can keep: NUL characters (PostgreSQL text cannot hold them) and lone
surrogates (`"\\ud800"` is valid JSON that Python decodes, but no database driver, and no UTF-8
response, can encode it).

`unstorable_text` is used at the HTTP edge on the whole decoded body; `unstorable_refusal` (run by
schema/pipeline.py) checks each
operation's string literals and variables again (WebSocket messages never pass the HTTP edge),
before anything runs, so no resolver has to remember it and no write is half done.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import ExecutionResult, GraphQLError, StringValueNode, visit
from graphql.language import Visitor

_BAD = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "Text must not contain NUL characters or unpaired UTF-16 surrogates"


def _bad_string(text: str) -> bool:
    return "\x00" in text or (not text.isascii() and _BAD.search(text) is not None)


def unstorable_text(value: Any) -> bool:
    """True when any string (key or value) in a decoded JSON value can't be stored. Iterative:
    the value may nest as deep as the JSON decoder allows."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _bad_string(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def bad_text_error() -> GraphQLError:
    return GraphQLError(MESSAGE, extensions={"code": "BAD_USER_INPUT"})


class _LiteralFinder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if _bad_string(node.value):
            self.found = True


def unstorable_refusal(context: Any) -> ExecutionResult | None:
    """The refusal of an operation whose literals or variables hold unstorable text, else None."""
    finder = _LiteralFinder()
    query = context.query or ""
    # Only a document with an escape or a raw bad character can hold one: skip the walk otherwise.
    if context.graphql_document is not None and ("\\u" in query or _bad_string(query)):
        visit(context.graphql_document, finder)
    if finder.found or unstorable_text(context.variables):
        return ExecutionResult(data=None, errors=[bad_text_error()])
    return None
