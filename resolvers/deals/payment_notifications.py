"""Provider notifications (WeChat Pay, Alipay): verify, then confirm the payment exactly once.

Everything refused is logged and changes nothing: a forged or stale signature, a notification
for another merchant, an unknown order, a wrong amount. A delivery seen before (same nonce and
timestamp) is a replay: acknowledged so the provider stops, but not acted on; a genuine retry
after an error here carries no record, because the record is written only after success.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.context import Services
from core.payments import Notification, NotificationRefused
from resolvers.deals.deals import PaymentOutcome, confirm_payment

log = logging.getLogger("tablemates.payments")


async def handle_notification(
    services: Services, provider_name: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, str, str]:
    """(status, content type, body) to answer the provider with."""
    provider = services.payments
    if getattr(provider, "name", "") != provider_name or not hasattr(provider, "parse_notification"):
        return 404, "text/plain", f"{provider_name} is not the configured payment provider"
    try:
        note: Notification = provider.parse_notification(headers, body)  # type: ignore[attr-defined]
    except NotificationRefused as error:
        log.warning("%s notification refused: %s", provider_name, error)
        return provider.reply(False, str(error))  # type: ignore[attr-defined]
    seen_key = f"{services.settings.redis_namespace}:pay-note:{provider_name}:{note.replay_key}"
    if await services.redis.exists(seen_key):
        log.warning("%s notification replayed for %s: ignored", provider_name, note.intent_id)
        return provider.reply(True, "already processed")  # type: ignore[attr-defined]
    if not note.paid:
        log.info("%s notification for %s is not a payment: acknowledged", provider_name, note.intent_id)
        return provider.reply(True, "ignored")  # type: ignore[attr-defined]
    outcome = await confirm_payment(services, note.intent_id, note.amount_cents)
    if outcome in (PaymentOutcome.UNKNOWN, PaymentOutcome.WRONG_AMOUNT):
        log.warning(
            "%s notification refused: %s for %s (%d cents)",
            provider_name,
            outcome.value,
            note.intent_id,
            note.amount_cents,
        )
        return provider.reply(False, outcome.value)  # type: ignore[attr-defined]
    await services.redis.set(seen_key, "1", ex=note.max_age_seconds * 2)
    if outcome == PaymentOutcome.ALREADY_PAID:
        log.info("%s notification for %s repeated: nothing changed", provider_name, note.intent_id)
    return provider.reply(True, outcome.value)  # type: ignore[attr-defined]
