"""A stand-in APNs on loopback: HTTP/2 over TLS (hypercorn), checking what Apple checks.

It verifies the provider token (ES256 with the test's public key, `kid`, `iss`, fresh `iat`),
the path and the headers, records each request, and answers from a per-token script (status,
reason), like api.push.apple.com does: 200 with `apns-id`, or an error with {"reason": ...}.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Received:
    http_version: str
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class StandIn:
    public_key: Any
    key_id: str
    team_id: str
    topic: str
    script: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # token -> answers
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status, reason = self._answer(scope, headers, body)
        answer = {"reason": reason} if reason else None
        out = [(b"apns-id", headers.get("apns-id", "").encode())]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode() if answer else b""})

    def _answer(self, scope: dict, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        if scope["method"] != "POST" or not scope["path"].startswith("/3/device/"):
            return 404, "BadPath"
        token = headers.get("authorization", "").removeprefix("bearer ")
        try:
            claims = jwt.decode(token, self.public_key, algorithms=["ES256"])
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return 403, "InvalidProviderToken"
        if kid != self.key_id or claims.get("iss") != self.team_id:
            return 403, "InvalidProviderToken"
        if time.time() - claims.get("iat", 0) > 3600:
            return 403, "ExpiredProviderToken"
        if headers.get("apns-topic") != self.topic:
            return 400, "TopicDisallowed"
        device = scope["path"].removeprefix("/3/device/")
        self.received.append(Received(scope["http_version"], scope["path"], headers, json.loads(body)))
        answers = self.script.get(device) or [(200, "")]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def signing_key(folder: Path) -> tuple[Path, Any]:
    """A fresh .p8 (PKCS#8 P-256) key file, as Apple's developer site hands out, and its public key."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = folder / "AuthKey_TEST123456.p8"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return path, key.public_key()


def tls_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it through APNS_CA_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "standin.crt", folder / "standin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def serve(app: StandIn, cert: Path, key: Path, port: int, stop: asyncio.Event) -> None:
    from hypercorn.asyncio import serve as hypercorn_serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(cert), str(key)
    config.alpn_protocols = ["h2"]
    config.accesslog = config.errorlog = None
    await hypercorn_serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
