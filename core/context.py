"""The per-request context every resolver receives: who asks, and the services to answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis_asyncio

from core.error_text import language
from core.errors import AuthError
from core.loaders import Loaders
from core.passwords import Passwords
from core.payments import PaymentProvider
from core.push import PushProvider
from core.ratelimit import RateLimiter
from geo import GeoIndex
from media import Storage
from models.accounts import User
from settings import Settings


@dataclass
class Services:
    """Process-wide services, opened by the app's lifespan and shared by all requests."""

    settings: Settings
    redis: redis_asyncio.Redis
    storage: Storage
    geo: GeoIndex
    passwords: Passwords
    limiter: RateLimiter
    payments: PaymentProvider
    push: dict[str, PushProvider] = field(default_factory=dict)  # platform -> provider


@dataclass
class Context:
    services: Services
    viewer: User | None = None
    client_ip: str = "unknown"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    loaders: Loaders = field(default_factory=Loaders)
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    # Why a bearer token speaks for nobody, when the app should say more than "sign in":
    # ACCOUNT_SUSPENDED (resolvers/accounts/sessions.py `why_refused`).
    refusal: str | None = None

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def language(self) -> str:
        """The language errors are told in (`Accept-Language`, core/error_text.py)."""
        headers = getattr(self.request, "headers", None)
        return language(headers.get("accept-language") if headers is not None else None)

    def require_viewer(self) -> User:
        if self.viewer is None:
            if self.refusal == "ACCOUNT_SUSPENDED":
                raise AuthError("UNAUTHENTICATED", "This account is suspended", reason=self.refusal)
            raise AuthError("UNAUTHENTICATED")
        return self.viewer

    def require_role(self, *roles: str) -> User:
        viewer = self.require_viewer()
        if viewer.role not in roles:
            raise AuthError("FORBIDDEN", "This needs the role: " + " or ".join(roles))
        return viewer
