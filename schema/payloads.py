"""Payload mutations: a mutation is its behaviour call and nothing else (Saleor's BaseMutation).

`@payload_mutation` requires a signed-in viewer (unless `public=True`), runs the body, and turns a
domain `UserInputError` into the payload's `errors`; the payload class is read from the return
annotation, lazily (strawberry and `from __future__ import annotations` resolve types late).
`functools.wraps` keeps the body's signature, so strawberry still sees its arguments.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from core.errors import UserInputError
from schema.errors import UserError, user_errors

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@strawberry.type
class Payload:
    """Every payload starts with `errors` (empty on success)."""

    errors: list[UserError] = strawberry.field(default_factory=list)


def _info(args: tuple[Any, ...], kwargs: dict[str, Any]) -> strawberry.Info:
    found = kwargs.get("info") or next((a for a in args if isinstance(a, strawberry.Info)), None)
    if found is None:
        raise TypeError("a payload mutation takes `info`")
    return found


def payload_mutation(body: F | None = None, *, public: bool = False, **options: Any) -> Any:
    """`@payload_mutation` or `@payload_mutation(description=..., public=True)`."""

    def wrap(body: F) -> Any:
        payload: list[type] = []  # the return annotation, resolved on first need

        @functools.wraps(body)
        async def run(*args: Any, **kwargs: Any) -> Any:
            if not public:
                _info(args, kwargs).context.require_viewer()
            try:
                return await body(*args, **kwargs)
            except UserInputError as error:
                if not payload:
                    payload.append(typing.get_type_hints(body)["return"])
                return payload[0](errors=user_errors(error))

        return strawberry.mutation(run, **options)

    return wrap(body) if body is not None else wrap
