"""Look ahead in the operation from a field: does its selection reach a nested field?

A resolver that can read what a nested field will need together with its own rows (and prime
the request's loader with it) asks this first, so an operation that does not select that field
pays no read for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode


def selects(info: Any, *path: str) -> bool:
    """Whether the current field's selection reaches `path` (GraphQL field names, one per level,
    through fragments). `@skip`/`@include` are not evaluated: a field under them counts (reading
    ahead for a field then skipped changes no answer)."""
    raw = info._raw_info
    nodes: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        found = (f for node in nodes for f in _fields(node.selection_set, raw.fragments))
        nodes = [f for f in found if f.name.value == name]
        if not nodes:
            return False
    return True


def _fields(selection_set: SelectionSetNode | None, fragments: dict[str, Any]) -> Iterator[FieldNode]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)
