"""A span per GraphQL operation (core/tracing.py); SQL statements nest inside it."""

from __future__ import annotations

from collections.abc import Iterator

from opentelemetry.trace import Status, StatusCode
from strawberry.extensions import SchemaExtension

from core import tracing


class TraceOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:  # type: ignore[override]
        context = self.execution_context
        request_id = getattr(context.context, "request_id", None)
        with tracing.operation_span({"tablemates.request_id": request_id or ""}) as span:
            yield
            if span is None:
                return
            try:
                kind = context.operation_type.value
            except (RuntimeError, AttributeError, ValueError):
                kind = "invalid"
            name = context.operation_name or ""
            span.update_name(f"{kind} {name}".strip())
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)
            errors = getattr(context.result, "errors", None) or context.pre_execution_errors
            if errors:
                span.set_status(Status(StatusCode.ERROR, errors[0].message[:200]))
