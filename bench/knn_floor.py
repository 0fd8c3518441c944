"""The floor under restaurantsNearby in Python (bench/README §21): no GraphQL at all.

    uv run python -m bench.knn --floor ...      # served as a third contender by bench.knn

What the cheapest server on our stack does for bench.knn's answer: uvicorn (httptools, uvloop,
our coalescing protocol) and Starlette take the POST, orjson reads the variables, asyncpg runs
the peer's own SQL function (bench_knn.restaurants_nearby, 5 rows), the ids are encoded as ours,
orjson writes the same JSON. No parsing or validation of the document, no authentication, no
middleware, no limits, no visibility layer: none of what a real endpoint must do. Its CPU per
request is the least any Python GraphQL layer on this stack could cost for the answer; set
beside PostGraphile's whole request it says whether "at least PostGraphile's rate" is reachable
by making our GraphQL layer cheaper.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schema.ids import encode

SQL = "SELECT id, name, distance_km FROM bench_knn.restaurants_nearby($1, $2, $3) LIMIT 5"
_pool: dict[str, Any] = {}


async def graphql(request: Request) -> Response:
    variables = orjson.loads(await request.body())["variables"]
    async with _pool["pool"].acquire() as connection:
        rows = await connection.fetch(SQL, variables["lat"], variables["lng"], variables.get("r", 3.0))
    edges = [
        {"node": {"id": encode("Restaurant", row[0]), "name": row[1], "distanceKm": row[2]}} for row in rows
    ]
    body = orjson.dumps({"data": {"restaurantsNearby": {"edges": edges}}})
    return Response(body, media_type="application/json")


async def ready(request: Request) -> Response:
    return Response(b"ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    _pool["pool"] = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=2, max_size=10, server_settings={"jit": "off"}
    )
    try:
        yield
    finally:
        await _pool["pool"].close()


app = Starlette(
    routes=[Route("/graphql", graphql, methods=["POST"]), Route("/readyz", ready)], lifespan=lifespan
)


def main() -> None:
    """Serve it as `app.py serve` serves ours: same protocol, loop and worker count."""
    import argparse

    import uvicorn

    from core.http_protocol import CoalescingHttpToolsProtocol

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    uvicorn.run(
        "bench.knn_floor:app",
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        http=CoalescingHttpToolsProtocol,
    )


if __name__ == "__main__":
    main()
