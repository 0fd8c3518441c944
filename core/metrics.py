"""Prometheus metrics shared by the middleware and the domains."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "tablemates_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "tablemates_http_request_seconds",
    "HTTP request latency",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
SUBSCRIPTIONS = Gauge("tablemates_active_subscriptions", "Open GraphQL subscriptions", registry=REGISTRY)
REDIS_ERRORS = Counter("tablemates_redis_errors_total", "Redis failures", ["where"], registry=REGISTRY)
GRAPHQL_OPERATIONS = Counter(
    "tablemates_graphql_operations_total",
    "GraphQL operations by name, type and outcome (ok, error, rejected)",
    ["operation", "type", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = Histogram(
    "tablemates_graphql_operation_seconds",
    "Time to resolve a whole GraphQL operation (all its resolvers)",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
    registry=REGISTRY,
)
DB_QUERY_SECONDS = Histogram(
    "tablemates_db_query_seconds",
    "SQL statement latency",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
    registry=REGISTRY,
)
SLOW_QUERIES = Counter(
    "tablemates_db_slow_queries_total", "SQL statements slower than SLOW_QUERY_MS", registry=REGISTRY
)
DB_POOL = Gauge(
    "tablemates_db_pool_connections", "Database pool connections", ["connection", "state"], registry=REGISTRY
)


_CHILDREN: dict[tuple[Any, ...], Any] = {}


def labelled(metric: Any, *values: str) -> Any:
    """`metric.labels(*values)`, looked up once per label set: prometheus_client's `labels`
    checks and stringifies its arguments and takes a lock on every call (four a request)."""
    key = (metric, *values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child


def observe_query(seconds: float, slow: bool) -> None:
    """models.querylog reports each SQL statement here (it may not import upwards)."""
    DB_QUERY_SECONDS.observe(seconds)
    if slow:
        SLOW_QUERIES.inc()
