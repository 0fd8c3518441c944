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
# Operation names are the client's to choose: each new one was a new label set of a counter and
# a histogram for the life of the process (20 000 names sent grew a worker by ~100 MB, and
# /metrics with it). An app has a few hundred operations at most; past that many distinct names,
# or for a name no app would write, the metrics say "other" (the log line keeps the real name).
MAX_OPERATION_NAMES = 500
MAX_NAME_LENGTH = 100
OTHER = "other"
_named: set[str] = set()


def metric_name(name: str) -> str:
    """The operation's label in the metrics: its name while the set of names stays bounded."""
    if name in _named:
        return name
    if len(name) > MAX_NAME_LENGTH or len(_named) >= MAX_OPERATION_NAMES:
        return OTHER
    _named.add(name)
    return name


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
    label = metric_name(name)
    labelled(GRAPHQL_OPERATIONS, label, kind, outcome).inc()
    labelled(GRAPHQL_LATENCY, label).observe(elapsed)
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
