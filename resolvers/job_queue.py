"""The job runner: arq on Redis, for `app.py worker` processes.

Why arq (not procrastinate): Redis is in every setup (fakeredis in the embedded one) while
PostgreSQL is not, and arq is plain asyncio on the redis client we already use.

Each worker also runs a ticker that enqueues every job once per slot of its interval, with the
job id `<namespace>:<job>:<slot>`: arq refuses a second job with an id it still has queued,
running or kept as a result (kept for two intervals), so N workers enqueue each slot once, and
arq's in-progress lock lets one worker run it. The job functions themselves are conditional
updates (resolvers/jobs.py), so even a slot run twice changes each row once.

The embedded default (no REDIS_URL) keeps running the same job functions in-process
(`jobs.in_process`); this module is used when a real Redis is configured.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import redis.asyncio as redis_asyncio
from arq.connections import ArqRedis
from arq.worker import Function, Worker, func
from redis.asyncio.client import Pipeline

from core.context import Services
from resolvers import jobs
from settings import Settings

TICK_SECONDS = 1.0


def queue_name(settings: Settings) -> str:
    return f"{settings.redis_namespace}:arq:queue"


class _FakeInfoPipeline(Pipeline):
    """fakeredis has no INFO, which arq's worker only logs at start: answer it with {}."""

    def info(self, section: str | None = None, *args: Any, **kwargs: Any) -> Any:
        return self.hgetall(f"{__name__}:no-info")


class _FakeArqRedis(ArqRedis):
    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return _FakeInfoPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


def arq_redis(settings: Settings, fake_server: Any = None) -> ArqRedis:
    """arq's own client (it stores pickles: no decode_responses); fakeredis when given a server."""
    if fake_server is None and settings.redis_url:
        return ArqRedis.from_url(settings.redis_url)
    from fakeredis import FakeServer
    from fakeredis.aioredis import FakeConnection

    pool = redis_asyncio.ConnectionPool(connection_class=FakeConnection, server=fake_server or FakeServer())
    return _FakeArqRedis(connection_pool=pool)


def _enabled(settings: Settings) -> list[tuple[jobs.Job, int]]:
    return [(job, job.interval(settings)) for job in jobs.JOBS if job.interval(settings) > 0]


def slot_id(settings: Settings, job: jobs.Job, interval: int, now: float) -> str:
    return f"{settings.redis_namespace}:{job.name}:{int(now // interval)}"


async def enqueue_due(redis: ArqRedis, settings: Settings, now: float | None = None) -> int:
    """Enqueue each job's current slot; a slot already enqueued (by any worker) is skipped."""
    now = time.time() if now is None else now
    enqueued = 0
    for job, interval in _enabled(settings):
        created = await redis.enqueue_job(
            job.name, _job_id=slot_id(settings, job, interval, now), _queue_name=queue_name(settings)
        )
        enqueued += created is not None
    return enqueued


def _function(services: Services, job: jobs.Job, interval: int) -> Function:
    async def run(ctx: dict[str, Any]) -> object:
        return await jobs.run_job(services, job)

    # Results are kept two intervals, so the slot's id stays taken until the slot has passed.
    return func(run, name=job.name, keep_result=max(2 * interval, 60), max_tries=1, timeout=600)


def make_worker(services: Services, redis: ArqRedis, *, burst: bool = False) -> Worker:
    settings = services.settings
    return Worker(
        functions=[_function(services, job, interval) for job, interval in _enabled(settings)],
        queue_name=queue_name(settings),
        redis_pool=redis,
        burst=burst,
        handle_signals=False,
        poll_delay=0.2,
        max_jobs=4,
    )


async def _tick(redis: ArqRedis, settings: Settings) -> None:
    while True:
        await enqueue_due(redis, settings)
        await asyncio.sleep(TICK_SECONDS)


async def run_worker(services: Services, redis: ArqRedis | None = None) -> None:
    """A worker process's life: tick and run jobs until cancelled."""
    redis = redis or arq_redis(services.settings)
    worker = make_worker(services, redis)
    ticker = asyncio.create_task(_tick(redis, services.settings))
    try:
        await worker.async_run()
    finally:
        ticker.cancel()
        await worker.close()
