"""Error shapes: payload `UserError`s and the classification of GraphQL errors.

Settled once (Saleor's lesson): every mutation payload has `errors: [UserError!]!` built
by `schema.payloads.payload_mutation`, and every unexpected exception is masked with a request id.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from core import unavailable
from core.error_text import ENGLISH, in_language
from core.errors import AuthError, BadRequestError, ErrorCode, UserInputError

log = logging.getLogger("tablemates.errors")

ErrorCodeEnum = strawberry.enum(ErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    field: str | None
    code: ErrorCodeEnum  # type: ignore[valid-type]
    english: strawberry.Private[str]

    @strawberry.field(
        description="What went wrong, in Chinese when the request's Accept-Language prefers it "
        "(the code's sentence; traditional characters for zh-Hant, TW, HK, MO), else in English."
    )
    def message(self, info: strawberry.Info) -> str:
        return in_language(self.code.value, self.english, info.context.language())


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """A request error (parse, validation, variables) as the client sees it: with `extensions.code`."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions={"code": code, **(error.extensions or {})},
    )


def user_errors(error: UserInputError) -> list[UserError]:
    return [UserError(field=f, code=c, english=m) for f, c, m in error.errors]


def _message(error: Exception) -> str:
    """The exception's message as raised (an `Explained` text stays one; `str()` would copy it)."""
    first = error.args[0] if error.args else None
    return first if isinstance(first, str) else str(error)


class ClassifyErrors(MaskErrors):
    """Give known errors an `extensions.code`; mask everything unexpected behind a request id."""

    def __init__(self, expose_internal: bool = False) -> None:
        super().__init__()
        self.expose_internal = expose_internal

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._classify(error) for error in errors]

    def _classify(self, error: GraphQLError) -> GraphQLError:
        classified = self._classified(error)
        code = (classified.extensions or {}).get("code")
        told = self._language()
        if classified is error or not isinstance(code, str) or told == ENGLISH:
            return classified
        if code == "INTERNAL_SERVER_ERROR" and self.expose_internal:
            return classified  # a developer's server: the exception's own words
        reason = (classified.extensions or {}).get("reason")
        english = classified.message
        for key in (reason, code):  # the reason's sentence, else the code's (or the English)
            if isinstance(key, str) and (said := in_language(key, english, told)) is not english:
                classified.message = said
                break
        return classified

    def _language(self) -> str:
        context: Any = self.execution_context.context
        language = getattr(context, "language", None)
        return language() if callable(language) else ENGLISH

    def _classified(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error  # parse/validation errors: already safe and informative
        if isinstance(original, AuthError):
            return self._with(error, _message(original), original.code, reason=original.reason)
        if isinstance(original, BadRequestError):
            return self._with(error, _message(original), BadRequestError.code)
        if isinstance(original, UserInputError):
            field, code, message = original.errors[0]
            return self._with(error, message, "BAD_USER_INPUT", reason=code.value, field=field)
        if unavailable.is_unavailable(original):
            # A store restarting is not a bug: one line, no traceback, and the client retries.
            log.warning("store unavailable [request %s]: %r", self._request_id(), original)
            return self._with(error, unavailable.MESSAGE, ErrorCode.UNAVAILABLE.value)
        request_id = self._request_id()
        log.error(
            "internal error [request %s]", request_id, exc_info=original, extra={"request_id": request_id}
        )
        message = str(original) if self.expose_internal else "Internal server error"
        return self._with(error, message, "INTERNAL_SERVER_ERROR", requestId=request_id)

    def _request_id(self) -> str:
        context: Any = self.execution_context.context
        return getattr(context, "request_id", "unknown")

    @staticmethod
    def _with(error: GraphQLError, message: str, code: str, **extra: Any) -> GraphQLError:
        return GraphQLError(
            message=message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": code, **{k: v for k, v in extra.items() if v is not None}},
        )
