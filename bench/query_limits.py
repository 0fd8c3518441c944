"""Measure the query limits real clients need: every document in README.md and bench/session.lua
(and GraphiQL's introspection query), scored the way the server scores them.

    uv run python -m bench.query_limits

Prints cost, depth, aliases, tokens and expanded selections per operation and the maximum of
each; the defaults in settings.py are about twice these (bench/README.md, "Query limits").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    get_introspection_query,
    parse,
)
from graphql.language import Lexer, Source, TokenKind
from strawberry.extensions.max_aliases import count_fields_with_alias

from schema import build_schema
from schema.cost import query_cost
from schema.validation import DocumentLimits, check_shape
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
# What bench/load.py feeds session.lua's variables (a point in 成都, a dish id).
SAMPLE_VARIABLES = {"a": 30.66, "b": 104.06, "d": "RGlzaDox"}


def documents() -> list[tuple[str, str]]:
    """(where, document text) of every example operation."""
    found: list[tuple[str, str]] = []
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```graphql\n(.*?)```", readme, re.S):
        found.append(("README graphql block", block))
    for raw in re.findall(r"-d '(\{.*?\})'", readme):
        try:
            found.append(("README curl", json.loads(raw)["query"]))
        except (ValueError, KeyError):
            continue
    lua = (ROOT / "bench" / "session.lua").read_text()
    for raw in re.findall(r'body\("((?:[^"\\]|\\.)*)"', lua):
        found.append(("bench/session.lua", raw.replace('\\\\\\"', '"')))
    found.append(("GraphiQL introspection", get_introspection_query(descriptions=True)))
    return found


def tokens(text: str) -> int:
    lexer, count = Lexer(Source(text)), 0
    while lexer.advance().kind != TokenKind.EOF:
        count += 1
    return count


def depth(document: DocumentNode) -> int:
    """Depth as the server's depth rule counts it: fields with selections, introspection ignored."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def walk(selection_set, seen: frozenset[str]) -> int:
        best = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.selection_set and not selection.name.value.startswith("__"):
                    best = max(best, 1 + walk(selection.selection_set, seen))
            elif hasattr(selection, "selection_set"):
                best = max(best, walk(selection.selection_set, seen))
            elif selection.name.value in fragments and selection.name.value not in seen:
                name = selection.name.value
                best = max(best, walk(fragments[name].selection_set, seen | {name}))
        return best

    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return max(walk(o.selection_set, frozenset()) for o in operations)


def selections(document: DocumentNode) -> int:
    """Smallest MAX_SELECTIONS the document passes."""
    low, high = 1, 100_000
    while low < high:
        middle = (low + high) // 2
        if check_shape(document, DocumentLimits(10**9, middle, 10**9, 10**9, 10**9)) is None:
            high = middle
        else:
            low = middle + 1
    return low


def main() -> None:
    schema = build_schema(Settings())._schema
    rows = []
    for where, text in documents():
        try:
            whole = parse(text)
        except GraphQLSyntaxError as error:
            print(f"skipped ({where}): {error.message}")
            continue
        fragments = [d for d in whole.definitions if isinstance(d, FragmentDefinitionNode)]
        for operation in (d for d in whole.definitions if isinstance(d, OperationDefinitionNode)):
            document = DocumentNode(definitions=(operation, *fragments))
            source = (
                text
                if len(whole.definitions) == 1 + len(fragments)
                else operation.loc.source.body[operation.loc.start : operation.loc.end]
            )
            rows.append(
                (
                    where,
                    source.split("{")[0].strip() or source.strip()[:50],
                    query_cost(schema, document, SAMPLE_VARIABLES, None),
                    depth(document),
                    count_fields_with_alias(operation),
                    tokens(source),
                    selections(document),
                )
            )
    print(f"{'source':24} {'operation':50} {'cost':>6} {'depth':>5} {'alias':>5} {'tokens':>6} {'sel':>5}")
    for where, name, *numbers in rows:
        print(f"{where:24} {name[:50]:50} " + " ".join(f"{n:>5}" for n in numbers))
    apps = [r for r in rows if r[0] != "GraphiQL introspection"]
    for label, chosen in (("app operations", apps), ("with introspection", rows)):
        cost, deep, aliases, count, selected = (max(r[i] for r in chosen) for i in range(2, 7))
        print(f"max ({label}): cost {cost}, depth {deep}, aliases {aliases}, tokens {count}, selections {selected}")


if __name__ == "__main__":
    main()
