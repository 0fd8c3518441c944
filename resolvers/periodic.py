"""Periodic maintenance inside each app process (the repository has no job runner yet).

Jobs must be idempotent and safe with several processes running them at once: every worker
runs its own loop. The first run waits one interval, so start-up stays quick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from resolvers.context import Services

log = logging.getLogger(__name__)
Job = Callable[[Services], Awaitable[object]]


async def _every(services: Services, seconds: float, job: Job) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job(services)
        except Exception:  # noqa: BLE001 - a failed run is retried at the next interval
            log.exception("periodic job %s failed", getattr(job, "__name__", job))


def start_periodic_jobs(services: Services) -> list[asyncio.Task[None]]:
    """Start the maintenance loops the settings enable; cancel the tasks on shutdown."""
    from resolvers.upload_cleanup import cleanup_uploads

    jobs: list[tuple[float, Job]] = [(services.settings.upload_cleanup_interval_seconds, cleanup_uploads)]
    return [asyncio.create_task(_every(services, seconds, job)) for seconds, job in jobs if seconds > 0]
