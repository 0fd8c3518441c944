"""OpenTelemetry traces, off by default: one span per GraphQL operation and per SQL statement.

On when the standard variables ask for it: OTEL_TRACES_EXPORTER (otlp | console; "none" is off) or
OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SDK_DISABLED=true wins.
The exporter, its endpoint, headers, OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read by the
SDK itself. Off, nothing is wrapped beyond a None check; no per-field spans ever (DESIGN.md:
per-field hooks make large results several times slower).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, TracerProvider

from models.querylog import METHODS

_tracer: list[Tracer | None] = [None]
SQL_TEXT_LIMIT = 1000


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def provider_from_env() -> Any:
    """A TracerProvider exporting as OTEL_* say (the SDK reads endpoint, headers, resource)."""
    from opentelemetry.sdk.resources import OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "tablemates")})
    resource = resource.merge(OTELResourceDetector().detect())
    provider = SdkTracerProvider(resource=resource)
    exporters = [e.strip().lower() for e in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
    for name in exporters:
        if name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def enable(provider: TracerProvider) -> None:
    """Trace through `provider` from now on (the app at start-up; tests with an in-memory one)."""
    _install_sql_spans()
    _tracer[0] = provider.get_tracer("tablemates")


def disable() -> None:
    _tracer[0] = None


def tracer() -> Tracer | None:
    return _tracer[0]


@contextmanager
def operation_span(attributes: dict[str, Any]) -> Iterator[Any]:
    """The span of one GraphQL operation (None when tracing is off); named once its type is known."""
    current = _tracer[0]
    if current is None:
        yield None
        return
    with current.start_as_current_span("graphql", kind=SpanKind.SERVER, attributes=attributes) as span:
        yield span


def _db_system(client: Any) -> str:
    return "postgresql" if "asyncpg" in type(client).__module__ else "sqlite"


def _traced(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def run(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        current = _tracer[0]
        if current is None:
            return await method(self, query, *args, **kwargs)
        text = str(query)
        verb = text.lstrip().split(None, 1)[0].upper() if text.strip() else "SQL"
        attributes = {"db.system.name": _db_system(self), "db.query.text": text[:SQL_TEXT_LIMIT]}
        with current.start_as_current_span(verb, kind=SpanKind.CLIENT, attributes=attributes) as span:
            try:
                return await method(self, query, *args, **kwargs)
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise

    run.__tablemates_traced__ = True  # type: ignore[attr-defined]
    return run


def _install_sql_spans() -> None:
    """Wrap the SQLite and asyncpg clients' execute methods once (as models/querylog.py does)."""
    from tortoise.backends.asyncpg.client import AsyncpgDBClient
    from tortoise.backends.sqlite.client import SqliteClient

    for client in (SqliteClient, AsyncpgDBClient):
        for name in METHODS:
            method = getattr(client, name, None)
            if method is not None and not getattr(method, "__tablemates_traced__", False):
                setattr(client, name, _traced(method))
