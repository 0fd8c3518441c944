"""A small payment-provider interface: create an intent, confirm by signed webhook, refund.

Real providers (core/wechatpay.py, core/alipay.py) implement the same calls plus
`parse_notification` (their own signed notification format), `lookup` (what the provider holds
for one order, for reconciliation) and `reply`; the test provider keeps intents in memory and
signs webhooks with the app's secret, so the whole flow runs through the real endpoint in tests.
Amounts are integer cents everywhere; providers convert at their edge only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("tablemates.payments")


class PaymentError(Exception):
    """The provider refused or did not answer a call (the message says what)."""


class NotificationRefused(Exception):
    """A notification that is not genuine, not fresh, or not for us (the message says why)."""


@dataclass(frozen=True)
class Notification:
    """A verified provider notification: `paid` events confirm an intent with this amount."""

    intent_id: str
    amount_cents: int
    paid: bool
    replay_key: str  # unique per delivery: a second delivery of the same bytes is a replay
    max_age_seconds: int  # how long the provider's signature stays acceptable


@dataclass(frozen=True)
class ProviderRecord:
    """What the provider holds for one of our orders (for reconciliation)."""

    exists: bool
    paid_cents: int = 0
    refunded_cents: int = 0


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    amount_cents: int
    currency: str
    client_secret: str


class PaymentProvider(Protocol):
    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent: ...

    async def resume(self, intent_id: str, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        """What the app needs to pay an intent created earlier, in any process (the claim's
        `payment.clientSecret` read again: 去支付 from the order list, another worker, a restart);
        PaymentError when the provider can't say."""
        ...

    async def refund(self, intent_id: str, amount_cents: int) -> None: ...

    def verify_webhook(self, body: bytes, signature: str) -> dict | None:
        """The event in a genuine webhook body, or None."""
        ...


class RecentIntents(dict[str, PaymentIntent]):
    """This process's recent intents, so the claim can show the client secret it was made with
    (schema/deals.py reads `provider.intents`); bounded, oldest forgotten first."""

    limit = 10_000

    def add(self, intent: PaymentIntent) -> PaymentIntent:
        self[intent.id] = intent
        while len(self) > self.limit:
            del self[next(iter(self))]
        return intent


class RealProvider(Protocol):
    name: str

    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent: ...

    async def resume(
        self, intent_id: str, amount_cents: int, currency: str, reference: str
    ) -> PaymentIntent: ...

    async def refund(self, intent_id: str, amount_cents: int) -> None: ...

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """The verified notification, or NotificationRefused."""
        ...

    def reply(self, accepted: bool, message: str) -> tuple[int, str, str]:
        """(status, content type, body) the provider expects as the answer."""
        ...

    async def lookup(self, intent_id: str) -> ProviderRecord: ...

    async def aclose(self) -> None: ...


# The most any of our orders can be: a claim's amount is a 32-bit integer column (deal prices
# are too), so a larger amount can name no order of ours (Alipay's own cap is ¥100,000,000).
MAX_CENTS = 2**31 - 1
# Plain yuan as the providers write them ("99.00", "0.5", "12"): ASCII digits, at most two
# decimals. Exponents, signs, NaN/sNaN/Infinity, spaces, underscores and non-ASCII digits (all
# of which Decimal() would read) are refused before any arithmetic.
_AMOUNT = re.compile(r"([0-9]{1,10})(?:\.([0-9]{1,2}))?")


def to_cents(amount: str) -> int:
    """Exact cents from a decimal string ("99.00"); anything else is NotificationRefused, never
    another exception (it is read from a signed notification, after the signature check: a
    malformed amount is a refused notification, not a 500). Integer arithmetic only: no
    Decimal context can round, overflow or trap."""
    match = _AMOUNT.fullmatch(amount) if isinstance(amount, str) else None
    if match is None:
        raise NotificationRefused(f"bad amount {str(amount)[:40]!r}")
    whole, fraction = match.groups()
    cents = int(whole) * 100 + int((fraction or "").ljust(2, "0"))
    if cents > MAX_CENTS:
        raise NotificationRefused(f"amount out of range {amount!r}")
    return cents


def from_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def pem(value: str) -> str:
    """A PEM given inline, or read from the file the setting names."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        return text.replace("\\n", "\n")
    with open(text, encoding="utf-8") as handle:
        return handle.read()


@dataclass
class TestPaymentProvider:
    secret: str
    name: str = "test"
    intents: dict[str, PaymentIntent] = field(default_factory=dict)
    refunds: list[tuple[str, int]] = field(default_factory=list)

    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        intent = await self.resume(f"pi_test_{uuid.uuid4().hex[:20]}", amount_cents, currency, reference)
        self.intents[intent.id] = intent
        return intent

    async def resume(self, intent_id: str, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        # Derived from the intent with our secret: every process answers the same client secret.
        secret = hmac.new(self.secret.encode(), f"client:{intent_id}".encode(), hashlib.sha256)
        return PaymentIntent(intent_id, amount_cents, currency, secret.hexdigest()[:32])

    async def refund(self, intent_id: str, amount_cents: int) -> None:
        self.refunds.append((intent_id, amount_cents))

    def sign(self, body: bytes) -> str:
        return hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()

    def verify_webhook(self, body: bytes, signature: str) -> dict | None:
        if not hmac.compare_digest(self.sign(body), signature or ""):
            return None
        try:
            event = json.loads(body)
        except ValueError:
            return None
        return event if isinstance(event, dict) else None


def webhook_body(intent_id: str, event_type: str = "payment.succeeded") -> bytes:
    return json.dumps({"type": event_type, "intentId": intent_id}).encode()
