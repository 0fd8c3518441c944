"""One log line and two metrics per GraphQL operation: who, what, how long, how it ended.

Operation-level only (called by schema/pipeline.py at the end of on_operation), never a
per-field hook: per-field extensions make large results several times slower (DESIGN.md, known
traps).
"""

from __future__ import annotations

import logging
from typing import Any

from core.metrics import GRAPHQL_LATENCY, GRAPHQL_OPERATIONS, labelled

log = logging.getLogger("tablemates.access")


def observe_operation(context: Any, elapsed: float) -> None:
    """Count, time and log one finished operation (`context`: strawberry's ExecutionContext)."""
    name = context.operation_name or "anonymous"
    try:
        kind = context.operation_type.value
    except (RuntimeError, AttributeError, ValueError):
        kind = "invalid"
    result = context.result
    errors = getattr(result, "errors", None) or context.pre_execution_errors
    if kind == "invalid" or (errors and getattr(result, "data", None) is None):
        outcome = "rejected" if kind == "invalid" or context.pre_execution_errors else "error"
    else:
        outcome = "error" if errors else "ok"
    labelled(GRAPHQL_OPERATIONS, name, kind, outcome).inc()
    labelled(GRAPHQL_LATENCY, name).observe(elapsed)
    request_context = context.context
    viewer = getattr(request_context, "viewer", None)
    log.info(
        "graphql %s %s",
        kind,
        name,
        extra={
            "request_id": getattr(request_context, "request_id", None),
            "viewer_id": viewer.id if viewer is not None else None,
            "operation": name,
            "operation_type": kind,
            "duration_ms": round(elapsed * 1000, 2),
            "outcome": outcome,
        },
    )
