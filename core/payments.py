"""A small payment-provider interface: create an intent, confirm by signed webhook, refund.

Production plugs a real provider (WeChat Pay, Alipay) behind the same three calls; the test
provider keeps intents in memory and signs webhooks with the app's secret, so the whole flow
runs through the real endpoint in tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    amount_cents: int
    currency: str
    client_secret: str


class PaymentProvider(Protocol):
    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent: ...

    async def refund(self, intent_id: str, amount_cents: int) -> None: ...

    def verify_webhook(self, body: bytes, signature: str) -> dict | None:
        """The event in a genuine webhook body, or None."""
        ...


@dataclass
class TestPaymentProvider:
    secret: str
    intents: dict[str, PaymentIntent] = field(default_factory=dict)
    refunds: list[tuple[str, int]] = field(default_factory=list)

    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        intent = PaymentIntent(
            id=f"pi_test_{uuid.uuid4().hex[:20]}",
            amount_cents=amount_cents,
            currency=currency,
            client_secret=uuid.uuid4().hex,
        )
        self.intents[intent.id] = intent
        return intent

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
