"""Rows of work retried with back-off (push deliveries, owed refunds): one process per attempt.

A row is due when `next_attempt_at` has passed. `take` counts the attempt and leases the row in
one conditional update (its `attempts` as read, still due), so of two processes that read it
only one goes on; a process that dies holding it leaves it due again when the lease ends.
`backoff` spaces the attempts after a failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F

LEASE_SECONDS = 120  # a taken row a crashed worker never finished is due again after this
MAX_BACKOFF_SECONDS = 6 * 3600


def backoff(base_seconds: int, attempt: int) -> int:
    """Seconds before the next attempt after `attempt` failed ones (1, 2, ...)."""
    return min(base_seconds * 2 ** (attempt - 1), MAX_BACKOFF_SECONDS)


async def take(row: Any, attempts: int, now: datetime) -> bool:
    """For this process: the row (a queryset of it, with any condition it must still meet) as
    read with `attempts`, its attempt counted and leased, unless another process took it first."""
    taken = await row.filter(attempts=attempts, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)
    )
    return taken == 1
