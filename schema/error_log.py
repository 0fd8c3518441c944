"""How GraphQL errors are logged: a client's mistake is INFO without a traceback.

strawberry's default `process_errors` logs every error, "Sign in first" included, at ERROR with
a traceback on `strawberry.execution`. Here expected client errors (UNAUTHENTICATED, FORBIDDEN,
BAD_USER_INPUT, parse and validation errors) become one INFO line with their code and the
request id; unexpected exceptions are logged at ERROR with the request id by ClassifyErrors
(schema/errors.py), which also masks them, and store outages are a WARNING there.
"""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql.error import GraphQLError

from core.errors import AuthError, BadRequestError, UserInputError
from schema.hooks import LeanExtensionsRunner

log = logging.getLogger("tablemates.errors")


def client_error_code(error: GraphQLError) -> str | None:
    """The code of an expected client error, or None for anything unexpected."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return (error.extensions or {}).get("code") or "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, AuthError):
        return original.code
    if isinstance(original, BadRequestError | UserInputError):
        return "BAD_USER_INPUT"
    return None


class LoggedSchema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: list[Any]) -> LeanExtensionsRunner:
        """Hooks entered without per-request wrappers (schema/hooks.py)."""
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        context = getattr(execution_context, "context", None)
        for error in errors:
            code = client_error_code(error)
            if code is None:
                continue  # unexpected or unavailable: ClassifyErrors logs it once, with the request id
            log.info(
                "client error %s: %s",
                code,
                error.message,
                extra={
                    "request_id": getattr(context, "request_id", None),
                    "operation": getattr(execution_context, "operation_name", None),
                    "code": code,
                    "path": ".".join(str(p) for p in error.path or ()) or None,
                },
            )
