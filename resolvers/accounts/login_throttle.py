"""Password-guessing limits that a stranger can't turn into a lock-out of the owner.

Three budgets, all in Redis and all failing closed when Redis is down (DESIGN.md):
- per address: sign-in attempts per minute across all accounts (stops one address spraying);
- per address and account: wrong passwords per 15 minutes, then that pair is refused. Each
  attempt reserves a failure before the password is checked (parallel guesses can't overrun
  it) and a correct password clears the pair's count;
- per account, from every address: wrong passwords per hour; past it, sign-ins to the account
  are slowed by LOGIN_SLOWDOWN_MS, never refused, so the owner still gets in from a clean address.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from core.context import Context
from core.errors import ErrorCode, UserInputError

PAIR_WINDOW = 15 * 60
ACCOUNT_WINDOW = 3600


def account_key(email: str) -> str:
    """Redis keys name the account by a digest: no emails in Redis, no 50 KB keys."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


@dataclass
class LoginThrottle:
    ctx: Context
    account: str

    @property
    def _pair(self) -> str:
        return f"login-pair:{self.account}:{self.ctx.client_ip}"

    @property
    def _account(self) -> str:
        return f"login-account:{self.account}"

    async def admit(self) -> None:
        """Count this attempt; refuse a spraying address or a guessing pair; slow a targeted account."""
        settings, limiter = self.ctx.settings, self.ctx.services.limiter
        await limiter.hit(
            f"login-ip:{self.ctx.client_ip}", settings.rate_limit_logins_per_minute * 3, 60, fail_closed=True
        )
        pair_limit = settings.login_failures_per_address_and_account
        if pair_limit and await limiter.add(self._pair, PAIR_WINDOW, fail_closed=True) > pair_limit:
            raise UserInputError(
                ErrorCode.RATE_LIMITED, "Too many wrong passwords from here; try again in 15 minutes"
            )
        failures = await limiter.current(self._account, ACCOUNT_WINDOW, fail_closed=True)
        if settings.login_failures_per_account and failures >= settings.login_failures_per_account:
            await asyncio.sleep(settings.login_slowdown_ms / 1000)

    async def failed(self) -> None:
        await self.ctx.services.limiter.add(self._account, ACCOUNT_WINDOW, fail_closed=True)

    async def succeeded(self) -> None:
        await self.ctx.services.limiter.clear(self._pair, PAIR_WINDOW)
