"""Loopback stand-ins of WeChat Pay API v3 and the Alipay gateway, with keys made in the test.

Each checks our request signatures with our public key, keeps orders and refunds (refusing a
refund above what was paid, deduplicating by refund number), signs its answers with its own
platform key, and builds the signed (and for WeChat Pay, AES-256-GCM encrypted) notification a
payment would send. They run in uvicorn on a free port in a thread, so our providers' real
HTTP, signing, verification and decryption code runs against them.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.alipay import BEIJING, load_public, rsa2_sign, rsa2_verify, sign_content
from core.payments import from_cents, to_cents
from tests.servers import free_port


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def self_signed(key: rsa.RSAPrivateKey, serial: int) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA stand-in")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def wx_sign(key: rsa.RSAPrivateKey, *parts: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import padding

    message = "".join(f"{p}\n" for p in parts).encode()
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class Order:
    total: int
    paid: bool = False
    refunds: dict[str, int] = field(default_factory=dict)
    placed: tuple[str, str] | None = None  # WeChat Pay: the order's API and parameters
    prepay: str = ""  # WeChat Pay: its prepay_id (or Native code_url)

    @property
    def refunded(self) -> int:
        return sum(self.refunds.values())


class StandIn:
    """Common part: orders, a uvicorn server in a thread."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.down = False  # answer 503 to everything (a provider outage)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def app(self) -> Starlette:
        raise NotImplementedError

    def start(self) -> StandIn:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("stand-in did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    def refund(self, out_trade_no: str, refund_no: str, amount: int) -> tuple[bool, str]:
        order = self.orders.get(out_trade_no)
        if order is None or not order.paid:
            return False, "TRADE_NOT_PAID"
        if refund_no in order.refunds:  # the same refund number is one refund
            return True, "SUCCESS"
        if order.refunded + amount > order.total:
            return False, "REFUND_AMOUNT_EXCEEDED"
        order.refunds[refund_no] = amount
        return True, "SUCCESS"


class WeChatPayStandIn(StandIn):
    mchid = "1900000109"
    appid = "wxd678efh567hg6787"
    serial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"  # our merchant certificate serial
    public_key_id = "PUB_KEY_ID_0114232134912410000000000"

    def __init__(self) -> None:
        self.merchant_key = new_key()
        self.platform_key = new_key()
        self.platform_serial = secrets.randbits(64)
        self.apiv3_key = secrets.token_hex(16)
        # Signs with its platform public key (id), or, for a merchant set up with platform
        # certificates, with the certificate (its serial): `use_certificate()`.
        self.answer_serial = self.public_key_id
        super().__init__()

    def use_certificate(self, yes: bool = True) -> None:
        self.answer_serial = f"{self.platform_serial:X}" if yes else self.public_key_id

    def env(self, use_certificate: bool = False) -> dict[str, str]:
        env = {
            "PAYMENT_PROVIDER": "wechatpay",
            "WECHATPAY_MCHID": self.mchid,
            "WECHATPAY_APPID": self.appid,
            "WECHATPAY_CERT_SERIAL_NO": self.serial,
            "WECHATPAY_PRIVATE_KEY": private_pem(self.merchant_key),
            "WECHATPAY_APIV3_KEY": self.apiv3_key,
            "WECHATPAY_API_URL": self.url,
        }
        if use_certificate:
            env["WECHATPAY_PLATFORM_CERT"] = self_signed(self.platform_key, self.platform_serial)
        else:
            env.update(
                WECHATPAY_PUBLIC_KEY=public_pem(self.platform_key), WECHATPAY_PUBLIC_KEY_ID=self.public_key_id
            )
        return env

    def signed_headers(self, body: str, key: rsa.RSAPrivateKey | None = None, age: int = 0) -> dict[str, str]:
        timestamp, nonce = str(int(time.time()) - age), secrets.token_hex(16)
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Serial": self.answer_serial,
            "Wechatpay-Signature": wx_sign(key or self.platform_key, timestamp, nonce, body),
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }

    def answer(self, data: dict[str, Any], status: int = 200) -> Response:
        body = json.dumps(data)
        return Response(body, status, media_type="application/json", headers=self.signed_headers(body))

    async def authorized(self, request: Request) -> bool:
        """Checks our Authorization header exactly as WeChat Pay does (merchant public key)."""
        header = request.headers.get("authorization", "")
        if not header.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(part.split("=", 1) for part in header.split(" ", 1)[1].split(","))
        fields = {k: v.strip('"') for k, v in fields.items()}
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        body = (await request.body()).decode()
        message = f"{request.method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        from cryptography.hazmat.primitives.asymmetric import padding

        try:
            self.merchant_key.public_key().verify(
                base64.b64decode(fields["signature"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:  # noqa: BLE001
            return False
        return fields["mchid"] == self.mchid and fields["serial_no"] == self.serial

    def app(self) -> Starlette:
        async def guard(request: Request) -> Response | None:
            if self.down:
                return Response("down", 503)
            if not await self.authorized(request):
                return JSONResponse({"code": "SIGN_ERROR"}, 401)
            return None

        async def create(request: Request) -> Response:
            if (refused := await guard(request)) is not None:
                return refused
            data = json.loads(await request.body())
            if data["mchid"] != self.mchid or data["appid"] != self.appid or not data.get("notify_url"):
                return JSONResponse({"code": "PARAM_ERROR"}, 400)
            # As WeChat Pay does: an order placed again with the same number and parameters
            # answers the same prepay_id / code_url; other parameters are a duplicate number.
            order = self.orders.setdefault(data["out_trade_no"], Order(total=data["amount"]["total"]))
            placed = json.dumps({k: data[k] for k in ("description", "amount", "notify_url")}, sort_keys=True)
            if order.placed is not None and order.placed != (request.url.path, placed):
                return JSONResponse({"code": "INVALID_REQUEST", "message": "商户订单号重复"}, 400)
            if order.placed is None:
                order.placed = (request.url.path, placed)
                order.prepay = f"wx{secrets.token_hex(14)}"
                if request.url.path.endswith("native"):
                    order.prepay = f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(4)}"
            key = "code_url" if request.url.path.endswith("native") else "prepay_id"
            return self.answer({key: order.prepay})

        async def query(request: Request) -> Response:
            if (refused := await guard(request)) is not None:
                return refused
            order = self.orders.get(request.path_params["no"])
            if order is None:
                return JSONResponse({"code": "ORDER_NOT_EXIST"}, 404)
            state = "REFUND" if order.refunds else "SUCCESS" if order.paid else "NOTPAY"
            return self.answer(
                {
                    "out_trade_no": request.path_params["no"],
                    "trade_state": state,
                    "amount": {"total": order.total, "currency": "CNY"},
                }
            )

        async def refund(request: Request) -> Response:
            if (refused := await guard(request)) is not None:
                return refused
            data = json.loads(await request.body())
            order = self.orders.get(data["out_trade_no"])
            if order is not None and data["amount"]["total"] != order.total:
                return JSONResponse({"code": "PARAM_ERROR"}, 400)
            ok, code = self.refund(data["out_trade_no"], data["out_refund_no"], data["amount"]["refund"])
            if not ok:
                return JSONResponse({"code": code}, 400)
            return self.answer(
                {
                    "out_refund_no": data["out_refund_no"],
                    "status": "SUCCESS",
                    "amount": {"refund": data["amount"]["refund"], "total": order.total},
                }
            )

        async def refund_query(request: Request) -> Response:
            if (refused := await guard(request)) is not None:
                return refused
            for order in self.orders.values():
                if request.path_params["no"] in order.refunds:
                    amount = order.refunds[request.path_params["no"]]
                    return self.answer(
                        {"status": "SUCCESS", "amount": {"refund": amount, "total": order.total}}
                    )
            return JSONResponse({"code": "RESOURCE_NOT_EXISTS"}, 404)

        return Starlette(
            routes=[
                Route("/v3/pay/transactions/app", create, methods=["POST"]),
                Route("/v3/pay/transactions/native", create, methods=["POST"]),
                Route("/v3/pay/transactions/out-trade-no/{no}", query),
                Route("/v3/refund/domestic/refunds", refund, methods=["POST"]),
                Route("/v3/refund/domestic/refunds/{no}", refund_query),
            ]
        )

    def pay(
        self,
        out_trade_no: str,
        amount: int | None = None,
        *,
        key: rsa.RSAPrivateKey | None = None,
        apiv3_key: str | None = None,
        age: int = 0,
        mchid: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The buyer pays: the order is paid here, and this is the notification WeChat Pay sends."""
        order = self.orders.get(out_trade_no)
        if order is not None and key is None and apiv3_key is None:
            order.paid = True
        total = amount if amount is not None else order.total if order else 100
        resource = json.dumps(
            {
                "mchid": mchid or self.mchid,
                "appid": self.appid,
                "out_trade_no": out_trade_no,
                "transaction_id": f"4200{secrets.randbits(60)}",
                "trade_state": "SUCCESS",
                "amount": {"total": total, "payer_total": total, "currency": "CNY"},
            }
        )
        nonce = secrets.token_hex(6)
        cipher = AESGCM((apiv3_key or self.apiv3_key).encode()).encrypt(
            nonce.encode(), resource.encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": secrets.token_hex(8),
                "create_time": datetime.now(BEIJING).isoformat(timespec="seconds"),
                "event_type": "TRANSACTION.SUCCESS",
                "resource_type": "encrypt-resource",
                "summary": "支付成功",
                "resource": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(cipher).decode(),
                    "associated_data": "transaction",
                    "original_type": "transaction",
                    "nonce": nonce,
                },
            }
        )
        return self.signed_headers(body, key=key, age=age), body.encode()


class AlipayStandIn(StandIn):
    app_id = "2021000000000001"

    def __init__(self) -> None:
        self.app_key = new_key()
        self.alipay_key = new_key()
        super().__init__()

    def env(self) -> dict[str, str]:
        return {
            "PAYMENT_PROVIDER": "alipay",
            "ALIPAY_APP_ID": self.app_id,
            "ALIPAY_PRIVATE_KEY": private_pem(self.app_key),
            "ALIPAY_PUBLIC_KEY": public_pem(self.alipay_key),
            "ALIPAY_GATEWAY": f"{self.url}/gateway.do",
        }

    def our_signature_ok(self, params: dict[str, str]) -> bool:
        public = load_public(public_pem(self.app_key))
        return params.get("app_id") == self.app_id and rsa2_verify(
            public, sign_content(params), params.get("sign", "")
        )

    def app(self) -> Starlette:
        async def gateway(request: Request) -> Response:
            if self.down:
                return Response("down", 503)
            params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            method = params.get("method", "")
            if not self.our_signature_ok(params):
                result: dict[str, Any] = {
                    "code": "40002",
                    "msg": "Invalid Arguments",
                    "sub_code": "isv.invalid-signature",
                }
            else:
                result = self.handle(method, json.loads(params["biz_content"]))
            inner = json.dumps(result, ensure_ascii=False)
            key = f"{method.replace('.', '_')}_response"
            text = f'{{"{key}":{inner},"sign":"{rsa2_sign(self.alipay_key, inner)}"}}'
            return Response(text, media_type="application/json;charset=utf-8")

        return Starlette(routes=[Route("/gateway.do", gateway, methods=["POST"])])

    def handle(self, method: str, biz: dict[str, Any]) -> dict[str, Any]:
        order = self.orders.get(biz.get("out_trade_no", ""))
        missing = {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"}
        if method == "alipay.trade.query":
            if order is None:
                return missing
            status = (
                "TRADE_CLOSED"
                if order.refunded >= order.total
                else "TRADE_SUCCESS"
                if order.paid
                else "WAIT_BUYER_PAY"
            )
            return {
                "code": "10000",
                "msg": "Success",
                "out_trade_no": biz["out_trade_no"],
                "trade_status": status,
                "total_amount": from_cents(order.total),
            }
        if method == "alipay.trade.refund":
            ok, code = self.refund(biz["out_trade_no"], biz["out_request_no"], to_cents(biz["refund_amount"]))
            if not ok:
                return {"code": "40004", "msg": "Business Failed", "sub_code": f"ACQ.{code}"}
            return {
                "code": "10000",
                "msg": "Success",
                "fund_change": "Y",
                "refund_fee": from_cents(order.refunded),
            }
        if method == "alipay.trade.fastpay.refund.query":
            amount = order.refunds.get(biz["out_request_no"]) if order else None
            if amount is None:
                return {"code": "10000", "msg": "Success"}
            return {
                "code": "10000",
                "msg": "Success",
                "refund_amount": from_cents(amount),
                "refund_status": "REFUND_SUCCESS",
            }
        return {"code": "40004", "sub_code": "isv.invalid-method"}

    def pay(
        self,
        order_string: str | None = None,
        *,
        out_trade_no: str | None = None,
        amount: int | None = None,
        key: rsa.RSAPrivateKey | None = None,
        age: int = 0,
        app_id: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The app's Alipay SDK pays our signed order string; this is Alipay's notification."""
        if order_string is not None:
            params = dict(parse_qsl(order_string, keep_blank_values=True))
            assert self.our_signature_ok(params), "our order string is not signed with our key"
            biz = json.loads(params["biz_content"])
            out_trade_no = biz["out_trade_no"]
            order = self.orders.setdefault(out_trade_no, Order(total=to_cents(biz["total_amount"])))
            order.paid = True
        total = (
            amount
            if amount is not None
            else self.orders[out_trade_no].total
            if out_trade_no in self.orders
            else 100
        )
        sent = datetime.now(BEIJING) - timedelta(seconds=age)
        note = {
            "notify_time": sent.strftime("%Y-%m-%d %H:%M:%S"),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "app_id": app_id or self.app_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": f"2026{secrets.randbits(50)}",
            "out_trade_no": out_trade_no or "",
            "trade_status": "TRADE_SUCCESS",
            "total_amount": from_cents(total),
            "receipt_amount": from_cents(total),
            "subject": "deal",
        }
        note["sign"] = rsa2_sign(key or self.alipay_key, sign_content(note))
        return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(note).encode()


def write_env_files(env: dict[str, str], directory: str) -> dict[str, str]:
    """The same settings with each PEM in a file (as a deployment would pass them)."""
    out = {}
    for name, value in env.items():
        if value.startswith("-----BEGIN"):
            path = os.path.join(directory, name.lower() + ".pem")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(value)
            value = path
        out[name] = value
    return out
