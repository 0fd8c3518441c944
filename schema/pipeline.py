"""Every per-operation duty of the schema in ONE strawberry extension (issue 18).

Strawberry builds each extension afresh per request and, per extension and hook, wraps the hook
in a context manager (inspect, functools, contextlib): seven extensions cost ~30 such wrappers
per request, more Python than the smallest query's own execution. This one runs the same steps,
in the order the separate extensions ran them:

on_operation, entering: the token limit for the parser (strawberry's MaxTokensLimiter), the
  tracing span (schema/tracing.py, a no-op unless OTEL_* turn tracing on);
on_parse: size guard, cached parse, guards and validation (schema/validation.py);
on_validate: the cached validation's errors;
on_execute: the query cost limit (schema/cost.py; cached per document for operations without
  variables), then unstorable text in literals and variables (schema/input_guard.py), whose
  refusal wins when both refuse, else a subscription over HTTP; several operations without a
  name win over all;
on_operation, leaving (innermost first): the span named, errors classified and masked
  (ClassifyErrors, schema/errors.py: this class is one, so streamed results are masked by its
  on_stream_result as before), parse errors given their code, then the operation's log line and
  metrics (schema/observe.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode
from starlette.websockets import WebSocket
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from core import tracing
from schema.cost import cost_refusal
from schema.errors import ClassifyErrors
from schema.input_guard import unstorable_refusal
from schema.observe import observe_operation
from schema.tracing import finish_span
from schema.validation import (
    DocumentValidator,
    Prepared,
    apply_validation,
    guarded_prepare,
    with_parse_codes,
)


def unnamed_among_many(context: ExecutionContext) -> ExecutionResult | None:
    """The spec's request error for several operations and no `operationName` (strawberry would
    quietly run the first, so a client's mistake ran an operation it did not pick)."""
    document = context.graphql_document
    if document is None or context._provided_operation_name is not None:
        return None
    if sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) < 2:
        return None
    message = "Must provide operation name if query contains multiple operations."
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": "BAD_REQUEST"})])


SUBSCRIPTIONS_OVER_WEBSOCKET = "Subscriptions are served over WebSocket (graphql-transport-ws) only"


def subscription_over_http(context: ExecutionContext) -> ExecutionResult | None:
    """A subscription sent as a GET or POST is a request error: no HTTP stream transport is on,
    so strawberry executed it as a query whose field had no value, an INTERNAL_SERVER_ERROR
    (and an ERROR log line with a traceback) anyone could cause at will."""
    if isinstance(getattr(context.context, "request", None), WebSocket):
        return None
    try:
        if context.operation_type is not OperationType.SUBSCRIPTION:
            return None
    except Exception:  # noqa: BLE001 - no operation selected: strawberry answers that itself
        return None
    error = GraphQLError(SUBSCRIPTIONS_OVER_WEBSOCKET, extensions={"code": "BAD_REQUEST"})
    return ExecutionResult(data=None, errors=[error])


class OperationPipeline(ClassifyErrors):
    def __init__(
        self,
        validator: DocumentValidator,
        max_tokens: int,
        max_cost: int,
        hide_suggestions: bool,
        expose_internal: bool,
    ) -> None:
        super().__init__(expose_internal=expose_internal)
        self.validator = validator
        self.max_tokens = max_tokens
        self.max_cost = max_cost
        self.hide_suggestions = hide_suggestions
        self.prepared: Prepared | None = None

    def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        started = time.perf_counter()
        context.parse_options["max_tokens"] = self.max_tokens
        self._stream_result_processed = False
        request_id = getattr(context.context, "request_id", None)
        with tracing.operation_span({"tablemates.request_id": request_id or ""}) as span:
            yield
            finish_span(span, context)
        self._classify_result()
        with_parse_codes(context.result)
        observe_operation(context, time.perf_counter() - started)

    def _classify_result(self) -> None:
        """MaskErrors.on_operation's work after the operation (streams: on_stream_result did it)."""
        if self._stream_result_processed:
            return
        result = self.execution_context.result
        result = getattr(result, "initial_result", None) or result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[union-attr]

    async def on_parse(self) -> AsyncIterator[None]:  # type: ignore[override]
        self.prepared = await guarded_prepare(self.validator, self.execution_context)
        yield

    def on_validate(self) -> Iterator[None]:  # type: ignore[override]
        apply_validation(self.prepared, self.execution_context)
        yield

    def on_execute(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        costs = self.prepared.costs if self.prepared is not None else None
        refusal = cost_refusal(context, self.max_cost, self.hide_suggestions, costs)
        refusal = unstorable_refusal(context) or refusal
        refusal = refusal or subscription_over_http(context)
        refusal = unnamed_among_many(context) or refusal
        if refusal is not None:
            context.result = refusal
        yield
