"""Per-request DataLoaders: one per batch function, created on first use.

Domains define `async def load_x(keys) -> list[...]` next to their resolvers and call
`loaders.get(load_x).load(key)`; the registry keeps one DataLoader per function per request,
so a list reaching a relation costs one query however long the list is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cache
from typing import Any

from strawberry.dataloader import DataLoader

BatchFn = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class Loaders:
    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    def get(self, batch: Callable[..., Awaitable[Sequence[Any]]], *bound: Any) -> DataLoader[Any, Any]:
        """The request's loader for `batch`; `bound` args (e.g. the viewer id) come before keys."""
        cache_key = (batch, *bound)
        loader = self._loaders.get(cache_key)
        if loader is None:
            if bound:

                async def load(keys: Sequence[Any]) -> Sequence[Any]:
                    return await batch(*bound, keys)

                loader = DataLoader(load_fn=load)  # type: ignore[arg-type]
            else:
                loader = DataLoader(load_fn=batch)  # type: ignore[arg-type]
            self._loaders[cache_key] = loader
        return loader


def by_key(rows: Sequence[Any], keys: Sequence[Any], attr: str = "id") -> list[Any]:
    """Order rows to match keys, None where a key has no row."""
    index = {getattr(row, attr): row for row in rows}
    return [index.get(key) for key in keys]


def group_by_key(rows: Sequence[Any], keys: Sequence[Any], attr: str) -> list[list[Any]]:
    """Group rows by attr in key order (for one-to-many loaders)."""
    groups: dict[Any, list[Any]] = {key: [] for key in keys}
    for row in rows:
        groups.setdefault(getattr(row, attr), []).append(row)
    return [groups[key] for key in keys]


@cache
def rows_of(model: Any) -> Callable[[Sequence[Any]], Awaitable[list[Any]]]:
    """The batch function loading `model` rows by id, whatever their state (one per model, so
    every caller shares the request's loader). Visibility is applied by resolvers/visibility."""

    async def load(keys: Sequence[Any]) -> list[Any]:
        return by_key(await model.filter(id__in=list(keys)), keys)

    load.__name__ = f"load_{model.__name__}_rows"
    return load
