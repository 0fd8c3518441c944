"""Alipay (open platform, RSA2): signed app-pay order strings, signed API calls, notifications.

Implemented with `cryptography` from Alipay's documented signing rules, not with
`alipay-sdk-python`: that SDK's client is blocking (urllib, so every query or refund would hold
the event loop or need a thread), its RSA is the pure-Python `rsa` package (slow, not
constant-time) plus a second crypto library (pycryptodome), and it has no notification
freshness check. The rules are short: sort the parameters (without `sign`/`sign_type`), join
them as k=v with &, SHA256withRSA (PKCS#1 v1.5), base64.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from core.payments import (
    Notification,
    NotificationRefused,
    PaymentError,
    PaymentIntent,
    ProviderRecord,
    RecentIntents,
    from_cents,
    pem,
    to_cents,
)

BEIJING = ZoneInfo("Asia/Shanghai")
# Alipay retries an unanswered notification for about 25 hours (4m, 10m, 10m, 1h, 2h, 6h, 15h).
MAX_AGE_SECONDS = 26 * 3600
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


def sign_content(params: Mapping[str, str]) -> str:
    return "&".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type") and v != ""
    )


def rsa2_sign(key: RSAPrivateKey, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(key: RSAPublicKey, message: str, signature: str) -> bool:
    try:
        key.verify(
            base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def load_private(text: str) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(text.encode(), password=None)
    assert isinstance(key, RSAPrivateKey)
    return key


def load_public(text: str) -> RSAPublicKey:
    key = serialization.load_pem_public_key(text.encode())
    assert isinstance(key, RSAPublicKey)
    return key


def signed_response(text: str, method: str) -> tuple[str, str]:
    """The raw JSON of `<method>_response` (exactly as sent: that is what Alipay signs) and the sign."""
    name = f'"{method.replace(".", "_")}_response"'
    start = text.find(name)
    if start < 0:
        raise PaymentError("Alipay answer without a response")
    start = text.index(":", start + len(name)) + 1
    while text[start] in " \t\r\n":
        start += 1
    _, end = json.JSONDecoder().raw_decode(text, start)
    return text[start:end], str(json.loads(text).get("sign", ""))


@dataclass(frozen=True)
class AlipayConfig:
    app_id: str
    private_key: str  # our application private key (PEM)
    alipay_public_key: str  # Alipay's public key (PEM)
    notify_url: str
    gateway: str = "https://openapi.alipay.com/gateway.do"

    @classmethod
    def from_env(cls, env: Mapping[str, str], default_notify_url: str) -> AlipayConfig:
        missing = [n for n in ("ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY") if not env.get(n)]
        if missing:
            raise ValueError(f"PAYMENT_PROVIDER=alipay needs {', '.join(missing)}")
        return cls(
            app_id=env["ALIPAY_APP_ID"],
            private_key=pem(env["ALIPAY_PRIVATE_KEY"]),
            alipay_public_key=pem(env["ALIPAY_PUBLIC_KEY"]),
            notify_url=env.get("ALIPAY_NOTIFY_URL") or default_notify_url,
            gateway=env.get("ALIPAY_GATEWAY") or cls.gateway,
        )


class AlipayProvider:
    name = "alipay"
    prefix = "ap"

    def __init__(self, config: AlipayConfig) -> None:
        self.config = config
        self._key = load_private(config.private_key)
        self._alipay = load_public(config.alipay_public_key)
        self.intents = RecentIntents()
        self._http = httpx.AsyncClient(timeout=15.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _signed(self, method: str, biz: dict[str, Any], **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **extra,
        }
        params["sign"] = rsa2_sign(self._key, sign_content(params))
        return params

    async def _call(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(self.config.gateway, data=self._signed(method, biz))
        except httpx.HTTPError as error:
            raise PaymentError(f"Alipay unreachable: {error}") from None
        if response.status_code != 200:
            raise PaymentError(f"Alipay answered {response.status_code}")
        try:
            raw, signature = signed_response(response.text, method)
        except ValueError:
            raise PaymentError("Alipay answer is not JSON") from None
        if not rsa2_verify(self._alipay, raw, signature):
            raise PaymentError("Alipay answer not genuine (bad signature)")
        return json.loads(raw)

    # ------------------------------------------------------------ provider interface

    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        """alipay.trade.app.pay needs no server call: the signed order string goes to the app's
        Alipay SDK, which pays it; Alipay then notifies `notify_url`."""
        if currency != "CNY":
            raise PaymentError("Alipay orders are in CNY")
        return self._order(f"{self.prefix}{uuid.uuid4().hex[:30]}", amount_cents, currency, reference)

    async def resume(self, intent_id: str, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        """The order string of an order made earlier (another process, before a restart): this
        process's copy, else the same order signed again (same number, amount and subject)."""
        return self.intents.get(intent_id) or self._order(intent_id, amount_cents, currency, reference)

    def _order(self, out_trade_no: str, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        params = self._signed(
            "alipay.trade.app.pay",
            {
                "out_trade_no": out_trade_no,
                "total_amount": from_cents(amount_cents),
                "subject": reference[:256],
                "product_code": "QUICK_MSECURITY_PAY",
            },
            notify_url=self.config.notify_url,
        )
        return self.intents.add(PaymentIntent(out_trade_no, amount_cents, currency, urlencode(params)))

    async def refund(self, intent_id: str, amount_cents: int) -> None:
        """Full refund; `out_request_no` is derived from the order, so Alipay makes a repeated
        request one refund, never two."""
        answer = await self._call(
            "alipay.trade.refund",
            {
                "out_trade_no": intent_id,
                "refund_amount": from_cents(amount_cents),
                "out_request_no": f"{intent_id}r",
            },
        )
        if answer.get("code") != "10000":
            raise PaymentError(f"refund refused: {answer.get('sub_code') or answer.get('code')}")

    async def lookup(self, intent_id: str) -> ProviderRecord:
        order = await self._call("alipay.trade.query", {"out_trade_no": intent_id})
        if order.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return ProviderRecord(exists=False)
        if order.get("code") != "10000":
            raise PaymentError(f"query refused: {order.get('sub_code') or order.get('code')}")
        refund = await self._call(
            "alipay.trade.fastpay.refund.query",
            {"out_trade_no": intent_id, "out_request_no": f"{intent_id}r"},
        )
        refunded = 0
        if (
            refund.get("code") == "10000"
            and refund.get("refund_status", "REFUND_SUCCESS") == "REFUND_SUCCESS"
        ):
            refunded = to_cents(refund["refund_amount"]) if refund.get("refund_amount") else 0
        # A fully refunded trade is closed, but it was paid: total_amount says how much.
        was_paid = order.get("trade_status") in PAID or refunded > 0
        return ProviderRecord(True, to_cents(order.get("total_amount", "0")) if was_paid else 0, refunded)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        params = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        if params.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRefused("unsupported sign type")
        if not rsa2_verify(self._alipay, sign_content(params), params.get("sign", "")):
            raise NotificationRefused("bad signature")
        if params.get("app_id") != self.config.app_id:
            raise NotificationRefused("notification for another app")
        try:
            sent = datetime.strptime(params.get("notify_time", ""), "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=BEIJING
            )
        except ValueError:
            raise NotificationRefused("bad notify_time") from None
        if abs(datetime.now(UTC) - sent) > timedelta(seconds=MAX_AGE_SECONDS):
            raise NotificationRefused("stale notification")
        return Notification(
            intent_id=params.get("out_trade_no", ""),
            amount_cents=to_cents(params.get("total_amount", "")),
            paid=params.get("trade_status") in PAID,
            replay_key=f"{params.get('notify_id')}:{params.get('notify_time')}",
            max_age_seconds=MAX_AGE_SECONDS,
        )

    def verify_webhook(self, body: bytes, signature: str) -> dict | None:
        """The test provider's HMAC webhook is no way to pay a real order."""
        return None

    def reply(self, accepted: bool, message: str) -> tuple[int, str, str]:
        """Alipay stops retrying on the plain text `success`; anything else is retried."""
        return 200, "text/plain", "success" if accepted else "fail"
