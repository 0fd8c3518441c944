"""Per-request DataLoaders: one per batch function, created on first use.

Domains define `async def load_x(keys) -> list[...]` next to their resolvers and call
`loaders.get(load_x).load(key)`; the registry keeps one DataLoader per function per request,
so a list reaching a relation costs one query however long the list is.

A list that already read related rows (one statement joining them, `Shaped.joined`) primes the
loaders with them (`Loaders.prime`), so the nested fields asking for them send nothing.

Statements rendered once per shape (issue 18, round 7): building a Tortoise query (its `Q`s
resolved, pypika copied, rendered) costs more than running it on the hot reads. A read whose
text depends only on a few choices (`shape`) builds its query once per shape with `Slot`s where
its values go, keeps the SQL and parameter list, and later only binds the values (`Shaped`).

Answers at once when they are held (issue 18): a loader's future for a primed or already read
key is done, and waiting on it still costs a coroutine per field, and graphql-core a task per
field when a node has several such. `decide` runs steps (a generator that `yield`s each read it
needs and gets the answer back) synchronously while every read is already answered, and only
turns into a coroutine at the first read still pending; `then` and `settle` carry such a
maybe-pending answer on. A field resolver that returns `then(...)` hands graphql-core a finished
value when nothing had to be read, which it completes without a task.
"""

from __future__ import annotations

from asyncio import Future
from collections.abc import Awaitable, Callable, Generator, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import CoroutineType
from typing import Any

from pypika_tortoise.context import SqlContext
from pypika_tortoise.terms import Term, ValueWrapper
from strawberry.dataloader import DataLoader

# A computation that yields the reads it waits for (futures or other awaitables) and is sent
# their answers; its return value is its answer.
Steps = Generator[Any, Any, Any]
BatchFn = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class SharedLoader(DataLoader[Any, Any]):
    """A DataLoader whose pending answers can't be cancelled by one of their waiters.

    Fields of a request share the loader's future for a key. When a non-null field fails,
    graphql-core cancels the sibling fields' tasks, and a task cancelled while awaiting a future
    cancels that future itself: every other field waiting for the same row then got
    CancelledError, which escaped the request as a 500. Each waiter gets its own future, which
    the shared one fills (`_waiter`: what `asyncio.shield` does, in two calls instead of ~8: a
    feed page makes hundreds of loads; bench/README §20)."""

    def load(self, key: Any) -> Any:
        future = super().load(key)
        return future if future.done() else _waiter(future)


def _waiter(shared: Future[Any]) -> Future[Any]:
    """A future of its own for one waiter of `shared`: cancelling it leaves `shared` alone."""
    mine = shared.get_loop().create_future()

    def fill(done: Future[Any]) -> None:
        if mine.cancelled():
            if not done.cancelled():
                done.exception()  # retrieved: no "exception was never retrieved" for the others' answer
            return
        if done.cancelled():
            mine.cancel()
        elif (error := done.exception()) is not None:
            mine.set_exception(error)
        else:
            mine.set_result(done.result())

    shared.add_done_callback(fill)
    return mine


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

                loader = SharedLoader(load_fn=load)  # type: ignore[arg-type]
            else:
                loader = SharedLoader(load_fn=batch)  # type: ignore[arg-type]
            self._loaders[cache_key] = loader
        return loader

    def prime(
        self, batch: Callable[..., Awaitable[Sequence[Any]]], values: Mapping[Any, Any], *bound: Any
    ) -> None:
        """Answers already read for `batch`'s keys (None: no such row, as the batch would say);
        a key the request's loader already holds keeps its answer."""
        if values:
            self.get(batch, *bound).prime_many(values)


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

    read = by_ids(model)

    async def load(keys: Sequence[Any]) -> list[Any]:
        return by_key(await read.rows(len(keys), {"ids": list(keys)}), keys)

    load.__name__ = f"load_{model.__name__}_rows"
    return load


@dataclass(frozen=True)
class Join:
    """A table LEFT JOINed to a list's rows: `on` is SQL over "base" (the list's row) and the
    aliases of earlier joins, with literals only (no parameters)."""

    alias: str
    model: Any
    on: str


async def _select_joined(
    db: Any, model: Any, inner: str, params: Sequence[Any], joins: tuple[Join, ...], order: str
) -> list[tuple[Any, dict[str, Any]]]:
    columns, tables, parts = _outer(model, joins)
    sql = f'SELECT {columns} FROM ({inner}) "base" {tables} ORDER BY {order}'
    found = []
    for row in await db.execute_query_dict(sql, params):
        base, *rest = (_row(part, row) for part in parts)
        found.append((base, {j.alias: r for j, r in zip(joins, rest, strict=True)}))
    return found


@dataclass(frozen=True)
class _Part:
    """One model of a joined statement: its (result column, model column) pairs and the result
    column of its primary key (None there: the LEFT JOIN found no row)."""

    model: Any
    keys: tuple[tuple[str, str], ...]
    pk: str


@cache
def _outer(model: Any, joins: tuple[Join, ...]) -> tuple[str, str, tuple[_Part, ...]]:
    """The outer statement's column list and joins, and each model's columns (worked out once)."""
    named = [("base", model), *((j.alias, j.model) for j in joins)]
    parts = tuple(_Part(m, _keys(alias, m), f"{alias}.{m._meta.db_pk_column}") for alias, m in named)
    columns = ", ".join(f'"{alias}"."{c}" AS "{alias}.{c}"' for alias, m in named for _, c in _keys(alias, m))
    tables = " ".join(f'LEFT JOIN "{j.model._meta.db_table}" "{j.alias}" ON {j.on}' for j in joins)
    return columns, tables, parts


def _keys(alias: str, model: Any) -> tuple[tuple[str, str], ...]:
    return tuple((f"{alias}.{c}", c) for c in sorted(model._meta.db_fields))


def _row(part: _Part, row: Mapping[str, Any]) -> Any:
    """The model instance from its aliased columns (None when the LEFT JOIN found none), built
    as Tortoise builds rows it reads (its converters per field and backend)."""
    if row[part.pk] is None:
        return None
    return part.model._init_from_db(**{c: row[key] for key, c in part.keys})


def _render(queryset: Any) -> tuple[str, list[Any]]:
    """The queryset's SQL and parameters for its database's dialect (as `.sql()` renders it)."""
    queryset._choose_db_if_not_chosen()
    queryset._make_query()
    query = queryset.query
    # LIMIT and OFFSET as literals (Tortoise binds them): with the page size bound, PostgreSQL's
    # generic plan guesses 10 % of the table and picks a seq scan + sort, so it plans every
    # execution afresh (~1.7 ms for the feed's page); with the size written, the text is one per
    # page size and the cached generic plan is the custom one (bench/README.md, sections 15.1, 17).
    for name in ("_limit", "_offset"):
        wrapped = getattr(query, name, None)
        if wrapped is not None and isinstance(wrapped.value, int):
            setattr(query, name, ValueWrapper(int(wrapped.value), allow_parametrize=False))
    return query.get_parameterized_sql()  # type: ignore[no-any-return]


# ------------------------------------------------------------------ statements rendered once


class Slot(Term):  # type: ignore[misc]
    """Where a value goes in a query rendered once per shape: stands in a Tortoise filter as the
    value would (`Review.filter(dish_id=Slot("dish"))`, `id__in=Slot("ids", many=3)`) and renders
    as bound parameters. `Shaped` binds `values[name]` (`index`: its item there; `many`: its
    first `many` items, one parameter each) through `field`'s conversion (the model's field the
    filter compares with, None: the value as it is), as Tortoise converts a filter's value."""

    def __init__(
        self, name: str, field: Any = None, *, index: int | None = None, many: int | None = None
    ) -> None:
        super().__init__()
        self.name, self.field, self.index, self.many = name, field, index, many

    def get_sql(self, ctx: SqlContext) -> str:
        if ctx.parameterizer is None:
            raise TypeError(f"Slot {self.name!r} outside a parameterized rendering")
        if self.many is None:
            return ctx.parameterizer.create_param(_Bind(self, None)).get_sql(ctx)  # type: ignore[no-any-return]
        marks = (ctx.parameterizer.create_param(_Bind(self, i)).get_sql(ctx) for i in range(self.many))
        return f"({','.join(marks)})"


@dataclass(frozen=True, eq=False)
class _Bind:
    """A parameter of a rendered statement taken from a slot's value (item `index` of many)."""

    slot: Slot
    index: int | None

    def value(self, values: Mapping[str, Any]) -> Any:
        value = values[self.slot.name]
        if self.slot.index is not None:
            value = value[self.slot.index]
        if self.index is not None:
            value = value[self.index]
        field = self.slot.field
        return value if field is None else field.to_db_value(value, field.model)


@dataclass(frozen=True)
class Shaped:
    """A read rendered once per shape: `build(shape)` returns the Tortoise query for `shape` (any
    hashable naming every choice that changes the statement's text: sort, filters, page size,
    how many ids) with `Slot`s for its values. Its SQL is kept per shape and database dialect;
    `sql(shape, values)` gives the statement and its bound parameters."""

    model: Any
    build: Callable[[Any], Any]

    def db(self) -> Any:
        """The connection the model's reads go to (as a queryset of it would choose)."""
        return self.model._choose_db()

    def sql(self, db: Any, shape: Hashable, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
        sql, params = _rendered(self, db.capabilities.dialect, shape)
        return sql, [p.value(values) if isinstance(p, _Bind) else p for p in params]

    async def rows(self, shape: Hashable, values: Mapping[str, Any]) -> list[Any]:
        """The model's rows, built as Tortoise builds the rows it reads."""
        init = self.model._init_from_db
        return [init(**row) for row in await self.dicts(shape, values)]

    async def dicts(self, shape: Hashable, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows as dicts of column values (for `values()` / `values_list()` queries)."""
        db = self.db()
        return await db.execute_query_dict(*self.sql(db, shape, values))  # type: ignore[no-any-return]

    async def joined(
        self,
        shape: Hashable,
        values: Mapping[str, Any],
        joins: tuple[Join, ...],
        order: str,
        db: Any = None,
    ) -> list[tuple[Any, dict[str, Any]]]:
        """The shape's query with each join's row, in one statement: `SELECT ... FROM (<query>)
        base LEFT JOIN ... ORDER BY <order>`; each row of the model with {alias: that join's row
        or None}, on `db` (default: where the model's reads go)."""
        db = self.db() if db is None else db
        return await _select_joined(db, self.model, *self.sql(db, shape, values), joins, order)


# One entry per (read, dialect, shape): the reads are module-level constants and their shapes a
# few choices each (a page size a client picks among them), so this stays small; past KEEP
# entries a new shape is rendered each time, as without it, rather than kept.
_RENDERED: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
KEEP = 4096


def _rendered(read: Shaped, dialect: str, shape: Hashable) -> tuple[str, tuple[Any, ...]]:
    key = (read, dialect, shape)
    found = _RENDERED.get(key)
    if found is None:
        sql, params = _render(read.build(shape))
        found = (sql, tuple(params))
        if len(_RENDERED) < KEEP:
            _RENDERED[key] = found
    return found


@cache
def by_ids(model: Any, **conditions: Any) -> Shaped:
    """`model`'s rows with the given ids (and `conditions`, fixed values), rendered once per
    number of ids: `await by_ids(Dish, archived=False).rows(len(ids), {"ids": ids})`. (Cached:
    one read per model and conditions, so its renderings are kept once.)"""
    return Shaped(model, lambda many: model.filter(id__in=Slot("ids", many=many), **conditions))


# ------------------------------------------------------------------ answers held or pending


def pending(value: Any) -> bool:
    """Whether `value` is a still-pending answer (from `decide`, `now` or `then`), not the answer.
    (Not `inspect.isawaitable`: a Tortoise model instance is awaitable.)"""
    return isinstance(value, CoroutineType | Future)


def decide(steps: Steps) -> Any:
    """The steps' answer when every read they yield is already answered (a done future), else a
    coroutine that waits for the first read still pending and goes on from there."""
    try:
        wanted = next(steps)
        while isinstance(wanted, Future) and wanted.done():
            wanted = steps.send(wanted.result())
    except StopIteration as finished:
        return finished.value
    return _go_on(steps, wanted)


async def _go_on(steps: Steps, wanted: Any) -> Any:
    try:
        while True:
            wanted = steps.send(await wanted)
    except StopIteration as finished:
        return finished.value


def now(loader: DataLoader[Any, Any], key: Any) -> Any:
    """The loader's answer for `key` when it holds it (primed or read earlier in the request),
    else its pending future (the key joins the loader's next batch, as `load` does)."""
    future = loader.load(key)
    return future.result() if future.done() else future  # type: ignore[attr-defined]


def then(value: Any, use: Callable[[Any], Any]) -> Any:
    """`use(value)`, after waiting for `value` if it is still pending."""
    return _then(value, use) if pending(value) else use(value)


async def _then(value: Awaitable[Any], use: Callable[[Any], Any]) -> Any:
    return use(await value)


async def settle(value: Any) -> Any:
    """A maybe-pending answer as an awaitable (for callers that await anyway)."""
    return await value if pending(value) else value
