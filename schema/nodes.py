"""A base for Relay nodes backed by one model row: fields declared once, copied by name.

A node declares its GraphQL fields as annotations; `from_model` copies each plain (resolver-less)
field from the row attribute of the same name, unless the subclass derives it (`derive`: field
name -> function of the row) or the caller passes it. `resolve_nodes` (Relay's `node(id:)`) is
generic: a node names its model as `kind=` and rows come through resolvers.visibility (the one
place each kind's rule lives); a private kind adds `private_to=` (the owner column: only the
owner fetches it); a kind without a rule names a `loader=` (a per-viewer check then goes in
`visible`), or overrides `load_rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Self

import strawberry
from strawberry import relay
from strawberry.relay.utils import to_base64

from resolvers import visibility
from schema.context import Info

Loader = Callable[[Sequence[int]], Any]


def listed(name: str) -> Callable[[Any], list[Any]]:
    """A JSON list column as a fresh list (None -> [])."""
    return lambda row: list(getattr(row, name) or [])


def km(distance: float | None) -> float | None:
    """Distances as shown: rounded to metres (they are already coarse for people)."""
    return None if distance is None else round(distance, 3)


class ModelNode(relay.Node):
    model: strawberry.Private[Any]

    # Class settings, not GraphQL fields (so not annotated): the model kind or row loader, and
    # derived fields.
    kind = None
    private_to = None
    loader = None
    derive = {}  # type: ignore[var-annotated]  # field name -> function of the row

    def __init_subclass__(
        cls,
        kind: type | None = None,
        private_to: str | None = None,
        loader: Loader | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:
            cls.kind = kind  # type: ignore[assignment]
        if private_to is not None:
            cls.private_to = private_to  # type: ignore[assignment]
        if loader is not None:
            cls.loader = staticmethod(loader)  # type: ignore[assignment]

    @classmethod
    def from_model(cls, row: Any, **given: Any) -> Self:
        values: dict[str, Any] = {"id": row.id, "model": row}
        derive = cls.derive
        for name in _plain_fields(cls):
            if name in given:
                values[name] = given[name]
            elif name in derive:
                values[name] = derive[name](row)
            else:
                value = getattr(row, name, _MISSING)
                if value is not _MISSING:
                    values[name] = value
        return cls(**values)

    @classmethod
    def of(cls, row: Any) -> Self | None:
        """`from_model`, None for no row (a relation the viewer may not see)."""
        return None if row is None else cls.from_model(row)

    @classmethod
    def from_hit(cls, hit: tuple[Any, float]) -> Self:
        """A (row, distance km) pair from a nearby search."""
        row, distance = hit
        return cls.from_model(row, distance_km=km(distance))

    @classmethod
    async def load_rows(cls, info: Info, ids: list[int]) -> Sequence[Any | None]:
        """Rows by id, None where missing or not for this viewer."""
        if cls.private_to is not None:
            viewer = info.context.viewer
            if viewer is None:
                return [None] * len(ids)
            owned = await cls.kind.filter(id__in=ids, **{cls.private_to: viewer.id})  # type: ignore[attr-defined]
            return in_order(ids, owned)
        if cls.kind is not None:
            return await visibility.fetch_many(info.context, cls.kind, ids)
        if cls.loader is None:
            raise NotImplementedError(f"{cls.__name__}: no kind or loader, and no load_rows of its own")
        return await info.context.loaders.get(cls.loader).load_many(ids)

    @classmethod
    async def visible(cls, info: Info, row: Any) -> bool:
        """May the viewer fetch this row by its global ID? Public unless a node says otherwise."""
        return True

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        rows = await cls.load_rows(info, [int(i) for i in node_ids])
        return [cls.from_model(r) if r is not None and await cls.visible(info, r) else None for r in rows]


_MISSING = object()
_PLAIN: dict[type, tuple[str, ...]] = {}


def _plain_fields(cls: type) -> tuple[str, ...]:
    """The names `from_model` copies: fields without a resolver, but id and model. Worked out
    once per node class (every node of every response is built through here)."""
    names = _PLAIN.get(cls)
    if names is None:
        fields = cls.__strawberry_definition__.fields  # type: ignore[attr-defined]
        names = tuple(
            f.python_name for f in fields if f.base_resolver is None and f.python_name not in ("id", "model")
        )
        _PLAIN[cls] = names
    return names


def in_order(ids: Sequence[int], rows: Iterable[Any]) -> list[Any | None]:
    """Rows of a filtered query, in the order of `ids` (None where filtered out)."""
    found = {row.id: row for row in rows}
    return [found.get(i) for i in ids]


def global_id_of(type_name: str, root: ModelNode) -> str:
    """A node's `id` as relay's resolver gives it: base64 of "Type:pk"."""
    return to_base64(type_name, str(root.id))


def _global_id(root: ModelNode, info: Any) -> str:
    """A node's `id`, as relay's resolver gives it, without strawberry's per-field wrapping (an
    Info object, argument conversion, the extension chain, a GlobalID)."""
    return global_id_of(info.parent_type.name, root)


_global_id._parent_named = global_id_of  # type: ignore[attr-defined]  # schema/fast_leaves.py calls it directly


def plain_ids(graphql_schema: Any) -> int:
    """Resolve the `id` of every ModelNode type with `_global_id` (issue 18: the `id` of each
    node of a response went through strawberry's full resolver path). Only types that keep
    relay's `resolve_id` / `resolve_typename` and name their NodeID `id`; returns how many."""
    done = 0
    for graphql_type in graphql_schema.type_map.values():
        definition = getattr(graphql_type, "extensions", None) or {}
        origin = getattr(definition.get("strawberry-definition"), "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, ModelNode)):
            continue
        if (
            origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__  # type: ignore[attr-defined]
            or origin.resolve_typename.__func__ is not relay.Node.resolve_typename.__func__  # type: ignore[attr-defined]
            or origin.resolve_id_attr() != "id"
        ):
            continue
        graphql_type.fields["id"].resolve = _global_id
        done += 1
    return done
