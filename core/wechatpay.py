"""WeChat Pay API v3: app/native orders, signed notifications (RSA-SHA256 + AES-256-GCM), refunds.

Signing, verification and decryption are the maintained `wechatpayv3` SDK's own functions
(`build_authorization`, `rsa_verify`, `aes_decrypt`). Its HTTP clients are not used: the
gateway URL is fixed inside them (no stand-in, no sandbox), the sync one blocks the event loop,
and its notification check has no freshness window (a captured notification could be replayed
forever). The transport here is httpx, async, with the SDK's signatures on both directions.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.x509 import load_pem_x509_certificate
from wechatpayv3.utils import (
    aes_decrypt,
    build_authorization,
    load_private_key,
    load_public_key,
    rsa_sign,
    rsa_verify,
)

from core.payments import (
    MAX_CENTS,
    Notification,
    NotificationRefused,
    PaymentError,
    PaymentIntent,
    ProviderRecord,
    RecentIntents,
    pem,
)

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_AGE_SECONDS = 300  # WeChat Pay's own advice: refuse signatures older than 5 minutes
TRADE_PATHS = {"app": "/v3/pay/transactions/app", "native": "/v3/pay/transactions/native"}


@dataclass(frozen=True)
class WeChatPayConfig:
    mchid: str
    appid: str
    cert_serial_no: str  # our merchant API certificate's serial
    private_key: str  # our merchant API private key (PEM)
    apiv3_key: str  # 32 bytes: decrypts notification resources
    platform_keys: Mapping[str, str]  # serial / public key id -> WeChat Pay's PEM public key
    notify_url: str
    api_url: str = "https://api.mch.weixin.qq.com"
    trade_type: str = "app"

    @classmethod
    def from_env(cls, env: Mapping[str, str], default_notify_url: str) -> WeChatPayConfig:
        missing = [
            name
            for name in (
                "WECHATPAY_MCHID",
                "WECHATPAY_APPID",
                "WECHATPAY_CERT_SERIAL_NO",
                "WECHATPAY_PRIVATE_KEY",
                "WECHATPAY_APIV3_KEY",
            )
            if not env.get(name)
        ]
        if missing:
            raise ValueError(f"PAYMENT_PROVIDER=wechatpay needs {', '.join(missing)}")
        if len(env["WECHATPAY_APIV3_KEY"].encode()) != 32:
            raise ValueError("WECHATPAY_APIV3_KEY must be 32 bytes")
        keys: dict[str, str] = {}
        if env.get("WECHATPAY_PUBLIC_KEY"):
            if not env.get("WECHATPAY_PUBLIC_KEY_ID"):
                raise ValueError("WECHATPAY_PUBLIC_KEY needs WECHATPAY_PUBLIC_KEY_ID")
            keys[env["WECHATPAY_PUBLIC_KEY_ID"]] = pem(env["WECHATPAY_PUBLIC_KEY"])
        if env.get("WECHATPAY_PLATFORM_CERT"):
            cert = load_pem_x509_certificate(pem(env["WECHATPAY_PLATFORM_CERT"]).encode())
            keys[f"{cert.serial_number:X}"] = (
                cert.public_key()
                .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
                .decode()
            )
        if not keys:
            raise ValueError(
                "PAYMENT_PROVIDER=wechatpay needs WECHATPAY_PUBLIC_KEY or WECHATPAY_PLATFORM_CERT"
            )
        trade_type = env.get("WECHATPAY_TRADE_TYPE", "app")
        if trade_type not in TRADE_PATHS:
            raise ValueError("WECHATPAY_TRADE_TYPE must be 'app' or 'native'")
        return cls(
            mchid=env["WECHATPAY_MCHID"],
            appid=env["WECHATPAY_APPID"],
            cert_serial_no=env["WECHATPAY_CERT_SERIAL_NO"],
            private_key=pem(env["WECHATPAY_PRIVATE_KEY"]),
            apiv3_key=env["WECHATPAY_APIV3_KEY"],
            platform_keys=keys,
            notify_url=env.get("WECHATPAY_NOTIFY_URL") or default_notify_url,
            api_url=(env.get("WECHATPAY_API_URL") or cls.api_url).rstrip("/"),
            trade_type=trade_type,
        )


class WeChatPayProvider:
    name = "wechatpay"
    prefix = "wx"

    def __init__(self, config: WeChatPayConfig) -> None:
        self.config = config
        self._key = load_private_key(config.private_key)
        self._platform: dict[str, RSAPublicKey] = {
            serial.upper(): load_public_key(key) for serial, key in config.platform_keys.items()
        }
        self.intents = RecentIntents()
        self._http = httpx.AsyncClient(base_url=config.api_url, timeout=15.0)

    async def aclose(self) -> None:
        await self._http.aclose()

    # ------------------------------------------------------------ signed calls

    async def _call(self, method: str, path: str, data: dict[str, Any] | None = None) -> tuple[int, Any]:
        body = json.dumps(data, separators=(",", ":")) if data is not None else ""
        authorization = build_authorization(
            path, method, self.config.mchid, self.config.cert_serial_no, self._key, data=body
        )
        headers = {
            "Authorization": authorization,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        try:
            response = await self._http.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise PaymentError(f"WeChat Pay unreachable: {error}") from None
        if response.status_code == 404:
            return 404, None
        if not 200 <= response.status_code < 300:
            raise PaymentError(f"WeChat Pay answered {response.status_code}: {response.text[:200]}")
        # Answers are signed like notifications: an unsigned or forged answer is not believed.
        try:
            self._verify(response.headers, response.text)
        except NotificationRefused as error:
            raise PaymentError(f"WeChat Pay answer not genuine: {error}") from None
        return response.status_code, response.json() if response.content else {}

    def _verify(self, headers: Mapping[str, str], body: str) -> None:
        if headers.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise NotificationRefused("unsupported signature type")
        key = self._platform.get(headers.get("wechatpay-serial", "").upper())
        if key is None:
            raise NotificationRefused("unknown platform certificate serial")
        timestamp = headers.get("wechatpay-timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_AGE_SECONDS:
            raise NotificationRefused("stale or missing timestamp")
        nonce = headers.get("wechatpay-nonce", "")
        if not nonce or not rsa_verify(timestamp, nonce, body, headers.get("wechatpay-signature", ""), key):
            raise NotificationRefused("bad signature")

    # ------------------------------------------------------------ provider interface

    async def create_intent(self, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        return await self._order(f"{self.prefix}{uuid.uuid4().hex[:30]}", amount_cents, currency, reference)

    async def resume(self, intent_id: str, amount_cents: int, currency: str, reference: str) -> PaymentIntent:
        """The pay-sheet parameters of an order placed earlier (another process, before a
        restart): this process's copy, else the order placed again with the same number and
        parameters, for which WeChat Pay answers the same prepay_id (a PaymentError if it can't)."""
        known = self.intents.get(intent_id)
        return known or await self._order(intent_id, amount_cents, currency, reference)

    async def _order(
        self, out_trade_no: str, amount_cents: int, currency: str, reference: str
    ) -> PaymentIntent:
        _, answer = await self._call(
            "POST",
            TRADE_PATHS[self.config.trade_type],
            {
                "appid": self.config.appid,
                "mchid": self.config.mchid,
                "description": reference[:127],
                "out_trade_no": out_trade_no,
                "notify_url": self.config.notify_url,
                "amount": {"total": amount_cents, "currency": currency},
            },
        )
        if self.config.trade_type == "native":
            client = {"code_url": answer.get("code_url", "")}
        else:
            client = self._app_pay_params(str(answer.get("prepay_id", "")))
        return self.intents.add(PaymentIntent(out_trade_no, amount_cents, currency, json.dumps(client)))

    def _app_pay_params(self, prepay_id: str) -> dict[str, str]:
        """What the app hands to the WeChat SDK (OpenSDK PayReq), signed with our key."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{self.config.appid}\n{timestamp}\n{nonce}\n{prepay_id}\n"
        return {
            "appid": self.config.appid,
            "partnerid": self.config.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": timestamp,
            "sign": rsa_sign(self._key, message),
        }

    async def refund(self, intent_id: str, amount_cents: int) -> None:
        """Full refund; the refund number is derived from the order, so WeChat Pay makes a
        repeated request one refund, never two."""
        _, answer = await self._call(
            "POST",
            "/v3/refund/domestic/refunds",
            {
                "out_trade_no": intent_id,
                "out_refund_no": f"{intent_id}r",
                "amount": {"refund": amount_cents, "total": amount_cents, "currency": "CNY"},
            },
        )
        if answer.get("status") not in ("SUCCESS", "PROCESSING"):
            raise PaymentError(f"refund not accepted: {answer.get('status')}")

    async def lookup(self, intent_id: str) -> ProviderRecord:
        status, order = await self._call(
            "GET", f"/v3/pay/transactions/out-trade-no/{intent_id}?mchid={self.config.mchid}"
        )
        if status == 404:
            return ProviderRecord(exists=False)
        paid = order.get("trade_state") in ("SUCCESS", "REFUND")
        status, refund = await self._call("GET", f"/v3/refund/domestic/refunds/{intent_id}r")
        refunded = 0
        if status != 404 and refund.get("status") in ("SUCCESS", "PROCESSING"):
            refunded = int(refund.get("amount", {}).get("refund", 0))
        return ProviderRecord(True, int(order.get("amount", {}).get("total", 0)) if paid else 0, refunded)

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        text = body.decode("utf-8", errors="replace")
        self._verify(headers, text)
        try:
            event = json.loads(text)
            resource = event["resource"]
            plain = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=self.config.apiv3_key,
            )
        except (ValueError, KeyError, TypeError):
            raise NotificationRefused("malformed notification") from None
        if plain is None:
            raise NotificationRefused("resource does not decrypt with our APIv3 key")
        try:
            transaction = json.loads(plain)
            amount = transaction["amount"]
            total = amount["total"]
        except (ValueError, KeyError, TypeError):
            raise NotificationRefused("malformed resource") from None
        if transaction.get("mchid") != self.config.mchid or transaction.get("appid") != self.config.appid:
            raise NotificationRefused("notification for another merchant or app")
        if (
            type(total) is not int  # JSON true is a Python int too
            or not 0 <= total <= MAX_CENTS  # a 32-bit column: a larger value would fail to bind
            or amount.get("currency", "CNY") != "CNY"
        ):
            raise NotificationRefused("bad amount")
        return Notification(
            intent_id=str(transaction.get("out_trade_no", "")),
            amount_cents=total,
            paid=event.get("event_type") == "TRANSACTION.SUCCESS"
            and transaction.get("trade_state") == "SUCCESS",
            replay_key=f"{headers.get('wechatpay-nonce')}:{headers.get('wechatpay-timestamp')}",
            max_age_seconds=MAX_AGE_SECONDS,
        )

    def verify_webhook(self, body: bytes, signature: str) -> dict | None:
        """The test provider's HMAC webhook is no way to pay a real order."""
        return None

    def reply(self, accepted: bool, message: str) -> tuple[int, str, str]:
        """WeChat Pay retries any non-2xx answer; the body is informational."""
        body = json.dumps({"code": "SUCCESS" if accepted else "FAIL", "message": message})
        return (200 if accepted else 400), "application/json", body
