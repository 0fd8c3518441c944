"""What one waiter of a loader's pending answer costs: `asyncio.shield` (e396219) against
`core.loaders._waiter` and the bare shared future (bench/README.md §20).

    uv run python -m bench.loader_waiter
"""

from __future__ import annotations

import asyncio
import time
from asyncio import Future, shield
from collections.abc import Callable
from typing import Any

from core.loaders import _waiter

LOADS = 20_000
BATCH = 100  # futures answered together, as a loader's batch answers its keys


async def per_load(wrap: Callable[[Future[Any]], Any]) -> float:
    """µs per load: make the shared futures, wrap each, answer them, await every waiter."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    for _ in range(LOADS // BATCH):
        shared = [loop.create_future() for _ in range(BATCH)]
        waiters = [wrap(f) for f in shared]
        for i, future in enumerate(shared):
            future.set_result(i)
        for waiter in waiters:
            await waiter
    return (time.perf_counter() - started) / LOADS * 1e6


async def main() -> None:
    for run in (1, 2, 3):
        shielded, waited, bare = [await per_load(w) for w in (shield, _waiter, lambda f: f)]
        print(f"run {run}: shield {shielded:.2f} µs, _waiter {waited:.2f} µs, bare {bare:.2f} µs per load")


if __name__ == "__main__":
    asyncio.run(main())
