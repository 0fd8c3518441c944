"""Profile nearbyFoodies in-process (cProfile), to see where time beyond the SQL goes.

DATABASE_URL=... SECRET_KEY=... uv run python -m bench.profile_nearby [--requests 100]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import time

from tortoise import Tortoise

from bench.nearby import QUERY
from core.context import Context
from core.services import open_services
from models import tortoise_config
from models.accounts import User
from schema import build_schema
from settings import Settings


async def run(requests: int) -> None:
    settings = Settings.from_env()
    schema = build_schema(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with open_services(settings) as services:
            total = await User.all().count()
            ids = random.Random(3).sample(range(1, total + 1), requests)
            viewers = await User.filter(id__in=ids)

            async def once(viewer: User) -> float:
                started = time.perf_counter()
                result = await schema.execute(
                    QUERY, variable_values={"r": 5.0}, context_value=Context(services, viewer)
                )
                assert not result.errors, result.errors
                return (time.perf_counter() - started) * 1000

            for viewer in viewers[:10]:
                await once(viewer)
            profiler = cProfile.Profile()
            profiler.enable()
            timings = [await once(viewer) for viewer in viewers]
            profiler.disable()
            timings.sort()
            print(
                f"in-process p50 {timings[len(timings) // 2]:.1f} ms, p99 {timings[int(len(timings) * 0.99)]:.1f} ms"
            )
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("PROFILE_LINES", "25")))
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    asyncio.run(run(parser.parse_args().requests))


if __name__ == "__main__":
    main()
