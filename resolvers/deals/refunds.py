"""Refunds that reach the provider: asked at once, and asked again with back-off until taken.

A claim's refund is written in our books first (the claim's own conditional update: REFUNDED,
or EXPIRED-and-refunded); the provider is asked after. If it is down, times out or refuses, the
refund waits in `refund_retries` and the `retry-refunds` job asks again (1, 2, 4 ... minutes,
at most 6 h apart) until it goes through, so an outage does not keep a diner's money;
reconciliation lists it as "refund missing at the provider" meanwhile. Providers deduplicate by
the refund number derived from the intent, so asking again after a lost answer is one refund.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from core.context import Services
from core.payments import PaymentError
from models.deals import RefundRetry
from resolvers.notifications.push import backoff

log = logging.getLogger("tablemates.refunds")

RETRY_BASE_SECONDS = 60
LEASE_SECONDS = 120  # a row a crashed worker took and never finished is due again after this
BATCH = 100


async def refund(services: Services, claim_id: int, intent_id: str, amount_cents: int) -> bool:
    """Ask the provider to refund the claim's payment; if it does not take it, keep the refund
    for the job to ask again. Never raises: the claim is already refunded in our books."""
    try:
        await services.payments.refund(intent_id, amount_cents)
    except PaymentError as error:
        log.error("refund of %s (%d cents) failed at the provider: %s", intent_id, amount_cents, error)
        await _keep(claim_id, intent_id, amount_cents, str(error))
        return False
    return True


async def _keep(claim_id: int, intent_id: str, amount_cents: int, error: str) -> None:
    due = datetime.now(UTC) + timedelta(seconds=RETRY_BASE_SECONDS)
    try:  # one row per claim: a second failure of the same refund keeps the first row
        await RefundRetry.create(
            claim_id=claim_id,
            payment_intent=intent_id,
            amount_cents=amount_cents,
            next_attempt_at=due,
            last_error=error[:200],
        )
    except IntegrityError:
        pass


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
        # Taken by one process: the attempt counted and a lease set, only if nobody took it first.
        taken = await RefundRetry.filter(id=row.id, attempts=row.attempts, next_attempt_at__lte=now).update(
            attempts=F("attempts") + 1, next_attempt_at=now + timedelta(seconds=LEASE_SECONDS)
        )
        if taken != 1:
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
