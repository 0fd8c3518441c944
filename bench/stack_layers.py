"""CPU per request at each depth of the request stack, in-process (bench/README §14.2).

    DATABASE_URL=... SECRET_KEY=... REDIS_URL=... uv run python -m bench.stack_layers [--requests 1500]

The same document timed four ways, one request at a time (CPU of this process, `process_time`):
the whole app as ASGI (Starlette, middleware, access line, metrics), the GraphQL endpoint alone
(strawberry's HTTP view, JSON), `schema.execute` (strawberry with the pipeline extension) and
graphql-core's `execute` with the same context. The differences between depths are what each
layer costs. Documents: `{ __typename }` (the stack alone) and bench.knn's restaurantsNearby.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import graphql

from bench.common import report
from bench.knn import QUERY as NEARBY
from bench.request_cost import call
from settings import Settings

DOCUMENTS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "typename": ("{ __typename }", None),
    "restaurantsNearby": (NEARBY, {"lat": 30.65, "lng": 104.06, "r": 3.0}),
}


def cpu_ms(run: Callable[[], Awaitable[None]], requests: int) -> Callable[[], Awaitable[float]]:
    async def timed() -> float:
        for _ in range(min(requests, 200)):  # warm: validation cache, prepared statements
            await run()
        started = time.process_time()
        for _ in range(requests):
            await run()
        return round((time.process_time() - started) * 1000 / requests, 3)

    return timed


async def measure(requests: int) -> list[dict[str, Any]]:
    from app import create_app
    from core.context import Context
    from core.logs import configure_logging

    settings = Settings.from_env()
    app = create_app(settings)
    rows = []
    async with app.router.lifespan_context(app):
        configure_logging(settings.log_format)  # as each serve worker does, written to /dev/null
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
        schema, services = app.state.schema, app.state.services
        endpoint = next(r.endpoint for r in app.router.routes if getattr(r, "path", "") == "/graphql").handler
        for name, (query, variables) in DOCUMENTS.items():
            body = json.dumps({"query": query, "variables": variables}).encode()
            document = graphql.parse(query)

            async def over_http(target: Any, body: bytes = body) -> None:
                status, answer = await call(target, body, "anonymous")
                assert status == 200 and b'"errors"' not in answer, answer[:300]

            async def strawberry(query: str = query, variables: Any = variables) -> None:
                result = await schema.execute(
                    query, variable_values=variables, context_value=Context(services)
                )
                assert not result.errors, result.errors

            async def core(document: Any = document, variables: Any = variables) -> None:
                result = graphql.execute(  # with the schema's execution context (schema/fast_leaves.py)
                    schema._schema,
                    document,
                    variable_values=variables,
                    context_value=Context(services),
                    executor_class=schema.execution_context_class,
                )
                result = await result if inspect.isawaitable(result) else result
                assert not result.errors, result.errors

            depths = {
                "app_ms": lambda: over_http(app),
                "endpoint_ms": lambda: over_http(endpoint),
                "schema_execute_ms": strawberry,
                "graphql_core_ms": core,
            }
            rows.append({"document": name, **{k: await cpu_ms(v, requests)() for k, v in depths.items()}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--name", default="", help="suffix of the results file")
    args = parser.parse_args()
    os.environ.setdefault("JOB_INTERVAL_SECONDS", "0")  # no scheduled jobs in the measured process
    rows = asyncio.run(measure(args.requests))
    report(f"stack-layers{'-' + args.name if args.name else ''}", rows)


if __name__ == "__main__":
    main()
