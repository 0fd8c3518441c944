"""Scheduled work: idempotent jobs run every JOB_INTERVAL_SECONDS.

Each app process runs them in-process by default (the embedded setup has nothing else); set
JOB_INTERVAL_SECONDS=0 on the app and run `app.py worker` processes instead. Every job is a
set of conditional updates, so two processes running the same job at once change each row once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from resolvers.deals import release_unpaid

log = logging.getLogger("tablemates.jobs")

JOBS: dict[str, Callable[[], Awaitable[int]]] = {
    # Unpaid claims past their payment window give their stock back, claimed-for or not.
    "release-unpaid-claims": release_unpaid,
}


async def run_once() -> dict[str, int]:
    """Run every job once; a failing job is logged and the others still run."""
    done: dict[str, int] = {}
    for name, job in JOBS.items():
        try:
            done[name] = await job()
        except Exception:  # noqa: BLE001 - the next round retries; never kill the loop
            log.exception("job %s failed", name)
    return done


async def run_forever(interval_seconds: float) -> None:
    while True:
        await run_once()
        await asyncio.sleep(interval_seconds)


@asynccontextmanager
async def in_process(interval_seconds: int) -> AsyncIterator[None]:
    """Run the jobs in this process while the block is open (not at all for 0)."""
    if interval_seconds <= 0:
        yield
        return
    task = asyncio.create_task(run_forever(interval_seconds), name="scheduled-jobs")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
