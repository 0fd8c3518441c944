"""Reconciliation: our claims of one day against what the payment provider holds for each.

Per claim with an order at this provider (its intent id carries the provider's prefix), the
provider is asked for the order and its refund; a mismatch is a line to look at: money we
never recorded (a lost notification), money we think arrived but didn't, a refund we made
that the provider does not have (a refund call that failed), or different amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.context import Services
from core.payments import PaymentError, ProviderRecord
from models.deals import Claim, ClaimStatus, RefundRetry

REFUNDED = (ClaimStatus.REFUNDED, ClaimStatus.EXPIRED)  # ended after payment: money goes back


@dataclass(frozen=True)
class Mismatch:
    claim_id: int
    intent_id: str
    problem: str
    ours: ProviderRecord
    theirs: ProviderRecord | None

    def line(self) -> str:
        theirs = (
            "unreachable"
            if self.theirs is None
            else f"paid={self.theirs.paid_cents} refunded={self.theirs.refunded_cents}"
            if self.theirs.exists
            else "no such order"
        )
        return (
            f"claim {self.claim_id} {self.intent_id}: {self.problem} "
            f"(ours paid={self.ours.paid_cents} refunded={self.ours.refunded_cents}; theirs {theirs})"
        )


def ours(claim: Claim) -> ProviderRecord:
    paid = claim.amount_cents if claim.paid else 0
    return ProviderRecord(True, paid, paid if claim.status in REFUNDED else 0)


def problem(mine: ProviderRecord, theirs: ProviderRecord) -> str | None:
    if not theirs.exists:
        return "order missing at the provider" if mine.paid_cents else None
    if mine.paid_cents != theirs.paid_cents:
        return (
            "paid at the provider, not here"
            if theirs.paid_cents > mine.paid_cents
            else "paid here, not at the provider"
        )
    if mine.refunded_cents != theirs.refunded_cents:
        if theirs.refunded_cents < mine.refunded_cents:
            return "refund missing at the provider"
        return "refunded at the provider, not here"
    return None


async def reconcile(services: Services, provider: str, day: date) -> list[Mismatch]:
    payments = services.payments
    if getattr(payments, "name", "") != provider or not hasattr(payments, "lookup"):
        raise ValueError(
            f"the configured payment provider is {getattr(payments, 'name', '?')!r}, not {provider!r}"
        )
    start = datetime.combine(day, time(), tzinfo=UTC)
    claims = await Claim.filter(
        created_at__gte=start,
        created_at__lt=start + timedelta(days=1),
        payment_intent__startswith=payments.prefix,  # type: ignore[attr-defined]
    ).order_by("id")
    # Refunds still owed (resolvers/deals/refunds.py): the line says the job is on it.
    owed = {
        row.claim_id: f" (owed: the retry job has asked {row.attempts} times, last error: {row.last_error})"
        for row in await RefundRetry.filter(claim_id__in=[c.id for c in claims])
    }
    found = []
    for claim in claims:
        mine = ours(claim)
        try:
            theirs: ProviderRecord | None = await payments.lookup(claim.payment_intent)  # type: ignore[attr-defined]
        except PaymentError as error:
            found.append(
                Mismatch(claim.id, claim.payment_intent or "", f"lookup failed: {error}", mine, None)
            )
            continue
        issue = problem(mine, theirs)
        if issue:
            issue += owed.get(claim.id, "")
            found.append(Mismatch(claim.id, claim.payment_intent or "", issue, mine, theirs))
    return found
