"""Profile bench.feed's page in-process (cProfile): where the time beyond the SQL goes.

DATABASE_URL=... SECRET_KEY=... uv run python -m bench.profile_feed [--requests 100] [--sort tottime]

Needs the feed bench.feed adds (run it once first).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import time

from tortoise import Tortoise

from bench.feed import QUERY, VIEWER
from core.context import Context
from core.services import open_services
from models import tortoise_config
from models.accounts import User
from schema import build_schema
from settings import Settings


async def run(requests: int, sort: str) -> None:
    settings = Settings.from_env()
    schema = build_schema(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with open_services(settings) as services:
            viewer = await User.get(id=VIEWER)
            for _ in range(20):
                await schema.execute(QUERY, context_value=Context(services, viewer))
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(requests):
                result = await schema.execute(QUERY, context_value=Context(services, viewer))
                assert not result.errors, result.errors
            profile.disable()
            print(f"{(time.perf_counter() - started) * 1000 / requests:.1f} ms per page (profiled)")
            stats = pstats.Stats(profile)
            stats.sort_stats(sort).print_stats(30)
            stats.sort_stats("cumulative").print_stats(r"(resolvers|schema|core)/", 25)
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.sort))


if __name__ == "__main__":
    main()
