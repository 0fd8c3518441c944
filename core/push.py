"""Push delivery behind one small interface: a provider sends one message to one device token.

`resolvers/notifications/push.py` owns the outbox (retries, back-off, de-duplication); a
provider only answers what happened to one attempt. Real providers: APNs (core/apns.py, HTTP/2
with token auth; it reaches iPhones in mainland China). Android is a stub for now: a vendor
push service (or FCM outside China) fits the same `send`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # transient: try again later (throttled, provider down, network)
    REJECTED = "rejected"  # permanent for this message: do not retry it
    GONE = "gone"  # the token is dead (app uninstalled...): forget the device


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    idempotency_key: str  # stable across retries of one notification to one device
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    detail: str = ""


class PushProvider(Protocol):
    async def send(self, message: PushMessage) -> PushResult: ...

    async def aclose(self) -> None: ...


@dataclass
class UnconfiguredProvider:
    """A platform with no provider configured (or the Android stub): rejects, never pretends."""

    reason: str

    async def send(self, message: PushMessage) -> PushResult:
        return PushResult(Outcome.REJECTED, self.reason)

    async def aclose(self) -> None:
        return None
