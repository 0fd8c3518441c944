"""Validation that cannot stall the event loop, cached per document text.

graphql-core validates synchronously, and its OverlappingFieldsCanBeMerged rule is quadratic in
fields sharing a response key: a 14 KB document of one field repeated a few hundred times held
the loop for a second. So, before graphql-core sees a document:
- its size is bounded (MAX_DOCUMENT_BYTES) before it is even parsed;
- one iterative walk, with fragments expanded, bounds the selections it stands for
  (MAX_SELECTIONS, which also defuses fragments that spread each other exponentially), how deep
  they nest (introspection included; MAX_QUERY_DEPTH then applies to the schema's own fields)
  and how often one response key repeats in one selection set (MAX_REPEATED_FIELDS).
Then the full rule set runs once per distinct document text, off the event loop: strawberry's
ValidationCache is keyed with rule classes that its depth and alias extensions create afresh per
request, so it never hit.
With introspection off, errors carry no "Did you mean …" suggestions (they leak the schema).
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from threading import Lock
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from schema.errors import with_code

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MAX_NESTING = 32  # raw nesting of selection sets, introspection included (TypeRef is ~10)


@dataclass(frozen=True)
class DocumentLimits:
    max_bytes: int
    max_selections: int
    max_repeated_fields: int
    max_depth: int
    max_aliases: int


def refused(message: str, code: str = VALIDATION_FAILED, **extra: object) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, **extra})


def _expanded(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> Iterator[tuple[FieldNode, frozenset[str]]]:
    """The fields of one selection set with inline fragments and spreads flattened (iteratively)."""
    stack: list[tuple[SelectionSetNode, frozenset[str]]] = [(selection_set, seen)]
    while stack:
        current, names = stack.pop()
        for selection in current.selections:
            if isinstance(selection, FieldNode):
                yield selection, names
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, names))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in names:
                    stack.append((fragment.selection_set, names | {name}))


def check_shape(document: DocumentNode, limits: DocumentLimits) -> GraphQLError | None:
    """Bound the work validation and cost will do, in time linear in the (bounded) expansion."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    roots = [d.selection_set for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    roots += [f.selection_set for f in fragments.values()]  # unused fragments are validated too
    budget = limits.max_selections
    stack: list[tuple[SelectionSetNode, frozenset[str], int]] = [(r, frozenset(), 1) for r in roots]
    while stack:
        selection_set, seen, depth = stack.pop()
        if depth > MAX_NESTING:
            return refused(f"Selections nest deeper than {MAX_NESTING} levels")
        keys: Counter[str] = Counter()
        for field, names in _expanded(selection_set, fragments, seen):
            budget -= 1
            if budget < 0:
                return refused(
                    f"The document selects more than {limits.max_selections} fields "
                    "(fragments expanded); ask for less"
                )
            key = (field.alias or field.name).value
            keys[key] += 1
            if keys[key] > limits.max_repeated_fields:
                return refused(
                    f"'{key}' is selected more than {limits.max_repeated_fields} times in one selection set"
                )
            if field.selection_set is not None:
                stack.append((field.selection_set, names, depth + 1))
    return None


@dataclass(frozen=True)
class Prepared:
    """A parsed and validated document text: the document (None if it didn't parse), errors, the
    cost of its operations that take no variables (filled in by schema/cost.py), and what the
    direct lane works out once per selected operation (schema/direct.py)."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    costs: dict[str | None, int] = dataclass_field(default_factory=dict)
    blueprints: dict[str | None, Any] = dataclass_field(default_factory=dict)


class DocumentValidator:
    """Parse, guards and the full rule set (built once per schema), cached by document text.

    A text not seen before is prepared on one dedicated thread, not on the event loop: the loop
    then only waits for the GIL's switch interval (5 ms) rather than a whole validation, so
    /healthz and known documents (cache hits, answered inline) stay fast while strangers queue.
    """

    def __init__(
        self, schema: GraphQLSchema, limits: DocumentLimits, introspection: bool, maxsize: int = 512
    ):
        self.schema = schema
        self.limits = limits
        self.hide_suggestions = not introspection
        rules = [
            *specified_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
            depth_rule(limits.max_depth, None),
            alias_rule(limits.max_aliases),
        ]
        if not introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self.maxsize = maxsize
        self._cache: OrderedDict[tuple[str, int | None], Prepared] = OrderedDict()
        self._lock = Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphql-validate")
        self.runs = 0  # full validations done: tests check a repeated document is validated once

    def cached(self, query: str, max_tokens: int | None) -> Prepared | None:
        with self._lock:
            found = self._cache.get((query, max_tokens))
            if found is not None:
                self._cache.move_to_end((query, max_tokens))
            return found

    async def prepare(self, query: str, max_tokens: int | None) -> Prepared:
        found = self.cached(query, max_tokens)
        if found is None:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(self._executor, self.prepare_now, query, max_tokens)
        return found

    def prepare_now(self, query: str, max_tokens: int | None) -> Prepared:
        try:
            document = parse(query, max_tokens=max_tokens)
        except (GraphQLError, RecursionError):
            document = None  # strawberry parses again and reports the error with its position
        if document is None:
            prepared = Prepared(None, [])
        else:
            shape = check_shape(document, self.limits)
            prepared = Prepared(document, [shape] if shape else self._validate(document))
        with self._lock:
            self._cache[(query, max_tokens)] = prepared
            while len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)
        return prepared

    def _validate(self, document: DocumentNode) -> list[GraphQLError]:
        self.runs += 1
        errors = validate(self.schema, document, self.rules, hide_suggestions=self.hide_suggestions)
        return [with_code(e, VALIDATION_FAILED) for e in errors]


async def guarded_prepare(validator: DocumentValidator, context: Any) -> Prepared:
    """on_parse: the size guard before parsing, then the cached parse, guards and validation."""
    query = context.query or ""
    limit = validator.limits.max_bytes
    if len(query) > limit or len(query.encode("utf-8", "surrogatepass")) > limit:
        raise refused(f"The document is larger than {limit} bytes", PARSE_FAILED, limit=limit)
    prepared = await validator.prepare(query, context.parse_options.get("max_tokens"))
    context.graphql_document = prepared.document
    return prepared


def apply_validation(prepared: Prepared | None, context: Any) -> None:
    """on_validate: the cached validation's errors stand for strawberry's own validation."""
    if prepared is not None and context.pre_execution_errors is None:
        context.pre_execution_errors = prepared.errors


def with_parse_codes(result: Any) -> None:
    """After the operation: codes on syntax errors (graphql-core's parser gives none)."""
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [_with_parse_code(e) for e in errors]


def _with_parse_code(error: GraphQLError) -> GraphQLError:
    """Syntax errors (and token-limit refusals) come from graphql-core's parser without a code."""
    if (error.extensions or {}).get("code"):
        return error
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError | RecursionError):
        message = "The document nests too deeply" if isinstance(original, RecursionError) else error.message
        return GraphQLError(
            message,
            source=error.source,
            positions=error.positions,
            extensions={"code": PARSE_FAILED},
        )
    return error
