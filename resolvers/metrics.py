"""Prometheus metrics shared by the middleware and the domains."""

from __future__ import annotations

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
