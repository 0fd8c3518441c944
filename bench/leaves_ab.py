"""Plain leaf fields completed directly (schema/fast_leaves.py) on and off, in one process.

    DATABASE_URL=... SECRET_KEY=... uv run python -m bench.leaves_ab [--rounds 30] [--batch 20]

The real app called as ASGI (bench.request_cost's `call`), one request at a time; the schema's
execution context swapped between batches (strawberry's, then ours, order alternating per round),
so both see the same process, heap and machine load. CPU ms per request (`process_time`),
median of the rounds, per document: bench.feed's page, the session mix's feed line and
restaurantsNearby. Both answers are checked equal first (photo URL signatures aside: per second).
Needs a database made by bench.generate and bench.feed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import time
from typing import Any

from bench.common import report, token_for
from bench.feed import QUERY as FEED_PAGE
from bench.request_cost import FEED, RESTAURANTS_NEARBY, call
from settings import Settings

SIGNED = re.compile(rb'(https?://[^"?]+)\?[^"]*')


async def measure(rounds: int, batch: int) -> list[dict[str, Any]]:
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext as Off

    from app import create_app
    from core.logs import configure_logging
    from schema.fast_leaves import FastLeavesExecutionContext as On

    settings = Settings.from_env()
    app = create_app(settings)
    tokens = [token_for(settings, uid) for uid in range(1, 201)]
    documents = {
        "bench.feed page": {"query": FEED_PAGE},
        "feed (session mix)": {"query": FEED},
        "restaurantsNearby": {"query": RESTAURANTS_NEARBY, "variables": {"a": 30.66, "b": 104.06}},
    }
    rows = []
    async with app.router.lifespan_context(app):
        configure_logging(settings.log_format)
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
        schema = app.state.schema
        for name, document in documents.items():
            body = json.dumps(document).encode()
            answers = {}
            for kind in (Off, On):  # warm each, then compare the last answers (same viewer)
                schema.execution_context_class = kind
                for i in range(200):
                    status, answer = await call(app, body, tokens[i % 200])
                    assert status == 200 and b'"errors"' not in answer, answer[:300]
                answers[kind] = SIGNED.sub(rb"\1", answer)
            assert answers[Off] == answers[On], name
            times: dict[type, list[float]] = {Off: [], On: []}
            sent = 0
            for r in range(rounds):
                for kind in (Off, On) if r % 2 == 0 else (On, Off):
                    schema.execution_context_class = kind
                    started = time.process_time()
                    for _ in range(batch):
                        await call(app, body, tokens[sent % 200])
                        sent += 1
                    times[kind].append((time.process_time() - started) * 1000 / batch)
            off, on = statistics.median(times[Off]), statistics.median(times[On])
            rows.append(
                {
                    "document": name,
                    "off_cpu_ms": round(off, 3),
                    "on_cpu_ms": round(on, 3),
                    "change": f"{(on - off) / off * 100:+.1f} %",
                }
            )
        schema.execution_context_class = On if settings.fast_leaves else Off
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--name", default="", help="suffix of the results file")
    args = parser.parse_args()
    os.environ.setdefault("JOB_INTERVAL_SECONDS", "0")
    os.environ.setdefault("MAX_QUERY_COST", "1000000")
    rows = asyncio.run(measure(args.rounds, args.batch))
    backend = "postgis" if Settings.from_env().is_postgres else "sqlite"
    report(f"leaves-ab-{backend}{'-' + args.name if args.name else ''}", rows)


if __name__ == "__main__":
    main()
