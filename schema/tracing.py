"""A span per GraphQL operation (core/tracing.py); SQL statements nest inside it.

schema/pipeline.py opens the span (`tracing.operation_span`) around the operation and names it
here once the operation has run.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Status, StatusCode


def finish_span(span: Any, context: Any) -> None:
    """Name the span after the operation and mark it failed when the operation has errors."""
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
