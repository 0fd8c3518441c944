"""Refunds that reach the provider: owed in the claim's own commit, asked at once, and asked
again with back-off until taken.

A claim's refund is written in our books by the claim's own conditional update (REFUNDED, or
EXPIRED-and-refunded); `owe` records the debt in `refund_retries` in that same transaction, so
from the commit on the refund is either settled or still owed, whatever crashes in between.
After the commit `pay` asks the provider and settles the debt (the row goes) when it takes the
refund. If the provider is down, times out or refuses, or the process died before asking, the
`retry-refunds` job asks again (1, 2, 4 ... minutes, at most 6 h apart) until it goes through;
reconciliation lists it as "refund missing at the provider" meanwhile. Providers deduplicate by
the refund number derived from the intent, so asking again after a lost answer is one refund.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.context import Services
from core.outbox import LEASE_SECONDS, backoff, take
from core.payments import PaymentError
from models.deals import RefundRetry

log = logging.getLogger("tablemates.refunds")

RETRY_BASE_SECONDS = 60
BATCH = 100


async def owe(claim_id: int, intent_id: str, amount_cents: int) -> None:
    """Record the refund as owed, inside the transaction that ends the claim. Not due for the job
    until the lease passes: `pay` asks first, right after the commit."""
    due = datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS)
    # One per claim (unique): a claim's money goes back once, from the one update that ends it.
    await RefundRetry.create(
        claim_id=claim_id, payment_intent=intent_id, amount_cents=amount_cents, next_attempt_at=due
    )


async def pay(services: Services, claim_id: int, intent_id: str, amount_cents: int) -> bool:
    """After the commit: ask the provider for an owed refund; settled when it takes it, else left
    for the job (from a minute on). Never raises: the claim is already refunded in our books."""
    try:
        await services.payments.refund(intent_id, amount_cents)
    except PaymentError as error:
        log.error("refund of %s (%d cents) failed at the provider: %s", intent_id, amount_cents, error)
        due = datetime.now(UTC) + timedelta(seconds=RETRY_BASE_SECONDS)
        still_owed = RefundRetry.filter(claim_id=claim_id, attempts=0)
        await still_owed.update(next_attempt_at=due, last_error=str(error)[:200])
        return False
    await RefundRetry.filter(claim_id=claim_id).delete()
    return True


@dataclass
class RetrySummary:
    refunded: int = 0
    retried: int = 0
    skipped: int = 0  # taken by another process first


async def retry_refunds(services: Services, now: datetime | None = None, limit: int = BATCH) -> RetrySummary:
    """Ask the provider again for every due refund once (the retry-refunds job)."""
    now = now or datetime.now(UTC)
    summary = RetrySummary()
    due = await RefundRetry.filter(next_attempt_at__lte=now).order_by("next_attempt_at", "id").limit(limit)
    for row in due:
        attempt = row.attempts + 1
        if not await take(RefundRetry.filter(id=row.id), row.attempts, now):
            summary.skipped += 1
            continue
        mine = RefundRetry.filter(id=row.id, attempts=attempt)
        try:
            await services.payments.refund(row.payment_intent, row.amount_cents)
        except PaymentError as error:
            delay = backoff(RETRY_BASE_SECONDS, attempt)
            await mine.update(next_attempt_at=now + timedelta(seconds=delay), last_error=str(error)[:200])
            log.warning("refund of %s failed again (attempt %d): %s", row.payment_intent, attempt, error)
            summary.retried += 1
            continue
        await mine.delete()
        log.info("refund of %s went through at attempt %d", row.payment_intent, attempt)
        summary.refunded += 1
    return summary
