"""Profile one burst's claims in-process (the whole ASGI app: HTTP layer, auth, GraphQL, gate, SQL).

    DATABASE_URL=postgres://.../tablemates_claims SECRET_KEY=... REDIS_URL=redis://127.0.0.1:6379/4 \\
      uv run python -m bench.profile_claims [--users 400 --quantity 100 --first-user 6001]

One at a time, so the figures are CPU per attempt of this process (PostgreSQL and Redis run
apart; the in-process httpx client is in it too, the same for every path): every user is new to
the process (a first-time token), as in a burst. Prints the mean wall and CPU time of an issued
claim and of a refusal (SOLD_OUT), then cProfile's top entries (`--top 0`: no profile, for the
CPU figures). Set JOB_INTERVAL_SECONDS=0 so the scheduled jobs stay out of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import time
import uuid

import httpx

from app import create_app
from bench.burst import CLAIM
from bench.common import token_for
from schema.ids import encode
from settings import Settings


async def run(users: int, quantity: int, first: int, top: int, dump: str | None = None) -> None:
    settings = Settings.from_env()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        from bench.claims import make_deal

        deal = encode("Deal", await make_deal(quantity, days=30))  # no expiry reminders in the run
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def once(user: int) -> tuple[bool, float, float]:
                body = {"query": CLAIM, "variables": {"d": deal, "k": uuid.uuid4().hex}}
                headers = {
                    "Authorization": f"Bearer {token_for(settings, user)}",
                    "Content-Type": "application/json",
                }
                started, cpu = time.perf_counter(), time.process_time()
                answer = (await http.post("/graphql", content=json.dumps(body), headers=headers)).json()
                took, cpu = time.perf_counter() - started, time.process_time() - cpu
                return bool(answer["data"]["claimDeal"]["claim"]), took, cpu

            await once(first)  # the gate built, caches warm; not profiled
            profiler = cProfile.Profile() if top or dump else None
            if profiler:
                profiler.enable()
            results = [await once(u) for u in range(first + 1, first + users)]
            if profiler:
                profiler.disable()
    label = "profiled" if profiler else "not profiled"
    for name, rows in (
        ("issued", [r for r in results if r[0]]),
        ("refused", [r for r in results if not r[0]]),
    ):
        n = max(1, len(rows))
        wall, cpu = 1000 * sum(r[1] for r in rows) / n, 1000 * sum(r[2] for r in rows) / n
        print(f"{name} {len(rows)}: mean {wall:.2f} ms wall, {cpu:.2f} ms CPU of this process ({label})")
    if profiler:
        stats = pstats.Stats(profiler)
        print(f"Python calls per attempt: {stats.total_calls / max(1, len(results)):.0f} (profiled)")
        if dump:
            stats.dump_stats(dump)
        if top:
            stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--quantity", type=int, default=100)
    parser.add_argument("--first-user", type=int, default=6001)
    parser.add_argument("--top", type=int, default=60, help="cProfile's top entries; 0: no profile")
    parser.add_argument("--dump", help="write cProfile's stats to this file (for pstats / snakeviz)")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.quantity, args.first_user, args.top, args.dump))


if __name__ == "__main__":
    main()
