"""Scheduled work: idempotent jobs, each on its own interval.

Each app process runs them in-process by default (the embedded setup has nothing else); set
JOB_INTERVAL_SECONDS=0 on the app and run `app.py worker` processes instead. Every job is a
set of conditional updates or deletes, so two processes running one job at once change each
row once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from core.context import Services
from resolvers.deals.deals import release_unpaid
from resolvers.deals.refunds import retry_refunds
from resolvers.deals.voucher_life import expire_vouchers, remind_expiring
from resolvers.meals.reminders import remind_events, remind_meals
from resolvers.notifications.push import drain as drain_push
from resolvers.reviews.upload_cleanup import cleanup_uploads
from resolvers.reviews.withdrawal import settle_suspensions
from resolvers.tables.meal_life import complete_due
from resolvers.tables.offers import lapse_due
from settings import Settings

log = logging.getLogger("tablemates.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Services], Awaitable[object]]
    interval: Callable[[Settings], int]  # seconds between runs; 0 turns the job off
    # (JOB_INTERVAL_SECONDS=0 is "not in the app process": the worker then runs every 30 s)


JOBS: tuple[Job, ...] = (
    # Unpaid claims past their payment window give their stock back, claimed-for or not.
    Job(
        "release-unpaid-claims",
        lambda services: release_unpaid(services=services),
        lambda s: s.job_interval_seconds or 30,
    ),
    # Upload URLs never confirmed, and objects no pending photo awaits, are deleted.
    Job("cleanup-uploads", cleanup_uploads, lambda s: s.upload_cleanup_interval_seconds),
    # Vouchers past their use window: EXPIRED, or REFUNDED (过期自动退) exactly once.
    Job("expire-vouchers", expire_vouchers, lambda s: s.job_interval_seconds or 30),
    # Refunds the provider did not take are asked again, with back-off, until they go through.
    Job("retry-refunds", retry_refunds, lambda s: s.job_interval_seconds or 30),
    # One reminder per voucher a few days before it expires.
    Job("remind-expiring-vouchers", remind_expiring, lambda s: (s.job_interval_seconds or 30) * 10),
    # 开饭提醒: the host and seated guests, a few hours before a meal (once per meal and time).
    Job("remind-meals", remind_meals, lambda s: (s.job_interval_seconds or 30) * 2),
    # 活动提醒: those going to a restaurant event, a few hours before it (once per event and time).
    Job("remind-events", remind_events, lambda s: (s.job_interval_seconds or 30) * 2),
    # Meals whose time is over are written COMPLETED; waitlist offers past their time lapse and
    # the seat moves on (issue 16). Every 30 s at most often: offers last minutes, meals hours.
    Job("complete-meals", complete_due, lambda s: max(s.job_interval_seconds, 30)),
    Job("lapse-seat-offers", lapse_due, lambda s: max(s.job_interval_seconds, 30)),
    # Suspended diners' reviews out of the counters, back once the suspension has ended: each run
    # takes the moderators' one-at-a-time lock, and a suspension lapses on the scale of days.
    Job(
        "settle-suspensions",
        settle_suspensions,
        lambda s: s.job_interval_seconds and s.settle_interval_seconds and max(
            s.job_interval_seconds, s.settle_interval_seconds
        ),
    ),
    # The push outbox: due deliveries sent, failures retried with back-off.
    Job("drain-push-outbox", drain_push, lambda s: s.push_interval_seconds),
)


def _summary(result: object) -> object:
    return dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result  # type: ignore[arg-type]


async def run_job(services: Services, job: Job) -> object:
    """One run; a failure is logged and the next run retries, never killing the loop."""
    try:
        return _summary(await job.run(services))
    except Exception:  # noqa: BLE001
        log.exception("job %s failed", job.name)
        return None


async def run_once(services: Services) -> dict[str, object]:
    return {job.name: await run_job(services, job) for job in JOBS}


async def _every(services: Services, job: Job) -> None:
    while True:
        await run_job(services, job)
        await asyncio.sleep(job.interval(services.settings))


def start(services: Services) -> list[asyncio.Task[None]]:
    """One loop per enabled job; the caller cancels the tasks."""
    return [
        asyncio.create_task(_every(services, job), name=f"job-{job.name}")
        for job in JOBS
        if job.interval(services.settings) > 0
    ]


async def run_forever(services: Services) -> None:
    tasks = start(services)
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


@asynccontextmanager
async def in_process(services: Services) -> AsyncIterator[None]:
    """Run the jobs in this process while the block is open (none with JOB_INTERVAL_SECONDS=0)."""
    tasks = start(services) if services.settings.job_interval_seconds > 0 else []
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
