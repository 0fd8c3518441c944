"""Apple Push Notification service provider: HTTP/2, token-based (.p8 key, ES256 JWT) auth.

Follows Apple's "Sending notification requests to APNs": POST /3/device/<token> on
api.push.apple.com (api.sandbox.push.apple.com for development builds) over HTTP/2, headers
`authorization: bearer <JWT>` (header {alg: ES256, kid: key id}, claims {iss: team id, iat}),
`apns-topic` (the app's bundle id), `apns-push-type`, `apns-priority`, `apns-expiration`,
`apns-id` (a UUID, ours derived from the outbox idempotency key) and `apns-collapse-id` (so a
repeat after a lost answer replaces the alert instead of adding one). A provider token is reused
for 40 minutes: Apple refuses tokens older than an hour and rate-limits refreshing more often
than every 20 minutes.
"""

from __future__ import annotations

import json
import ssl
import time
import uuid
from dataclasses import dataclass

import httpx
import jwt

from core.push import Outcome, PushMessage, PushResult

PRODUCTION_URL = "https://api.push.apple.com"
SANDBOX_URL = "https://api.sandbox.push.apple.com"
TOKEN_LIFETIME_SECONDS = 40 * 60
MAX_PAYLOAD_BYTES = 4096
# Reasons (in the JSON body of an error answer) that mean the token will never work again.
DEAD_TOKEN_REASONS = {"BadDeviceToken", "DeviceTokenNotForTopic", "Unregistered"}
APNS_ID_NAMESPACE = uuid.UUID("6f4e2a8e-9a57-4c1e-9f43-1c0ad2f9b7d1")


@dataclass(frozen=True)
class APNsConfig:
    key_pem: bytes  # the .p8 file's contents (a PKCS#8 P-256 private key)
    key_id: str
    team_id: str
    topic: str
    base_url: str = PRODUCTION_URL
    ca_file: str | None = None  # extra trust for a stand-in server (tests); None: system CAs
    timeout_seconds: float = 10.0


class APNsProvider:
    def __init__(self, config: APNsConfig) -> None:
        self.config = config
        verify: ssl.SSLContext | bool = True
        if config.ca_file:
            verify = ssl.create_default_context(cafile=config.ca_file)
        # One HTTP/2 connection, multiplexed: Apple asks providers to keep connections open.
        self._http = httpx.AsyncClient(
            http2=True, verify=verify, timeout=config.timeout_seconds, base_url=config.base_url
        )
        self._token: tuple[float, str] | None = None

    def provider_token(self, now: float | None = None) -> str:
        now = time.time() if now is None else now
        if self._token is None or now - self._token[0] >= TOKEN_LIFETIME_SECONDS:
            token = jwt.encode(
                {"iss": self.config.team_id, "iat": int(now)},
                self.config.key_pem,
                algorithm="ES256",
                headers={"kid": self.config.key_id},
            )
            self._token = (now, token)
        return self._token[1]

    def _payload(self, message: PushMessage) -> bytes:
        payload = {"aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"}}
        payload.update({k: v for k, v in message.data.items() if k != "aps"})
        body = json.dumps(payload, ensure_ascii=False).encode()
        if len(body) > MAX_PAYLOAD_BYTES:  # shorten the text, never the routing data
            payload["aps"]["alert"]["body"] = message.body[:200]
            body = json.dumps(payload, ensure_ascii=False).encode()
        return body

    async def send(self, message: PushMessage) -> PushResult:
        headers = {
            "authorization": f"bearer {self.provider_token()}",
            "apns-topic": self.config.topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(time.time()) + 24 * 3600),
            "apns-id": str(uuid.uuid5(APNS_ID_NAMESPACE, message.idempotency_key)),
            "apns-collapse-id": message.idempotency_key[:64],
            "content-type": "application/json",
        }
        try:
            response = await self._http.post(
                f"/3/device/{message.token}", content=self._payload(message), headers=headers
            )
        except httpx.HTTPError as error:
            return PushResult(Outcome.RETRY, f"{type(error).__name__}: {error}"[:200])
        if response.status_code == 200:
            return PushResult(Outcome.SENT, response.headers.get("apns-id", ""))
        reason = _reason(response)
        if response.status_code == 410 or reason in DEAD_TOKEN_REASONS:
            return PushResult(Outcome.GONE, reason)
        if response.status_code == 403 and reason == "ExpiredProviderToken":
            self._token = None  # sign a fresh one for the retry
            return PushResult(Outcome.RETRY, reason)
        if response.status_code == 429 or response.status_code >= 500:
            return PushResult(Outcome.RETRY, reason)
        return PushResult(Outcome.REJECTED, f"{response.status_code} {reason}")

    async def aclose(self) -> None:
        await self._http.aclose()


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", ""))[:100]
    except ValueError:
        return response.text[:100]
