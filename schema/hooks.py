"""Strawberry's extension hooks entered without rebuilding their wrappers on every request.

For each stage of each operation (operation, parse, validate, execute, stream result) strawberry's
runner inspects every extension's hook (`inspect.isgeneratorfunction` ...), wraps it in a fresh
`contextlib.contextmanager(types.MethodType(...))` (a `functools.update_wrapper` each) and enters
it through a new (Async)ExitStack: ~140 Python calls per request for our one extension, more
than a small query's own execution. Here the wrapper of a hook is built once per extension
class and stage, and a stage with one hook is entered directly. Semantics are strawberry's
(`strawberry/extensions/context.py`): hooks entered in order and left in reverse, an async hook
refused in a synchronous execution, and an exception a hook swallows still raised, since
strawberry's own context managers never report one as handled.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

Factory = Callable[..., Any]  # (extension, *stage arguments) -> a (async) context manager
_FACTORIES: dict[tuple[type, str], tuple[Factory, bool] | None] = {}


def _from_callable(func: Callable[..., Any]) -> tuple[Factory, bool]:
    """A plain (non-generator) hook runs on entering its stage, as strawberry's from_callable."""
    if inspect.iscoroutinefunction(func):

        @contextlib.asynccontextmanager
        async def run_async(extension: SchemaExtension, *args: Any) -> Any:
            await func(extension, *args)
            yield

        return run_async, True

    @contextlib.contextmanager
    def run(extension: SchemaExtension, *args: Any) -> Any:
        func(extension, *args)
        yield

    return run, False


def hook_factory(cls: type, name: str) -> tuple[Factory, bool] | None:
    """The context-manager factory of `cls`'s hook `name` and whether it is async (None: no hook)."""
    key = (cls, name)
    if key in _FACTORIES:
        return _FACTORIES[key]
    hook = getattr(cls, name)
    found: tuple[Factory, bool] | None
    if hook is getattr(SchemaExtension, name):
        found = None
    elif inspect.isgeneratorfunction(hook):
        found = contextlib.contextmanager(hook), False
    elif inspect.isasyncgenfunction(hook):
        found = contextlib.asynccontextmanager(hook), True
    elif callable(hook):
        found = _from_callable(hook)
    else:
        raise ValueError(f"Hook {name} on {cls} must be callable, received {hook!r}")
    _FACTORIES[key] = found
    return found


class Stage:
    """One stage's hooks of one operation, usable with `with` and `async with`."""

    __slots__ = ("args", "entered", "hooks", "name")

    def __init__(self, extensions: list[SchemaExtension], name: str, args: tuple[Any, ...] = ()) -> None:
        self.name = name
        self.args = args
        self.hooks = [
            (extension, *found) for extension in extensions if (found := hook_factory(type(extension), name))
        ]
        self.entered: Any = None

    def __enter__(self) -> None:
        for extension, _, is_async in self.hooks:
            if is_async:
                message = f"SchemaExtension hook {extension}.{self.name} failed to complete synchronously."
                raise RuntimeError(message)
        if len(self.hooks) == 1:
            extension, factory, _ = self.hooks[0]
            self.entered = factory(extension, *self.args)
            self.entered.__enter__()
        elif self.hooks:
            self.entered = contextlib.ExitStack()
            for extension, factory, _ in self.hooks:
                self.entered.enter_context(factory(extension, *self.args))

    def __exit__(self, *exc_info: Any) -> None:
        if self.entered is not None:
            self.entered.__exit__(*exc_info)

    async def __aenter__(self) -> None:
        if len(self.hooks) == 1:
            extension, factory, is_async = self.hooks[0]
            entered = factory(extension, *self.args)
            if is_async:
                await entered.__aenter__()
            else:
                entered.__enter__()
            self.entered = entered, is_async
        elif self.hooks:
            stack = contextlib.AsyncExitStack()
            for extension, factory, is_async in self.hooks:
                if is_async:
                    await stack.enter_async_context(factory(extension, *self.args))
                else:
                    stack.enter_context(factory(extension, *self.args))
            self.entered = stack, True

    async def __aexit__(self, *exc_info: Any) -> None:
        if self.entered is None:
            return
        entered, is_async = self.entered
        if is_async:
            await entered.__aexit__(*exc_info)
        else:
            entered.__exit__(*exc_info)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """strawberry's runner with `Stage`s for its context managers (Schema.create_extensions_runner)."""

    def operation(self) -> Any:
        return Stage(self.extensions, "on_operation")

    def validation(self) -> Any:
        return Stage(self.extensions, "on_validate")

    def parsing(self) -> Any:
        return Stage(self.extensions, "on_parse")

    def executing(self) -> Any:
        return Stage(self.extensions, "on_execute")

    def on_stream_result(self, result: Any) -> Any:
        return Stage(self.extensions, "on_stream_result", (result,))
