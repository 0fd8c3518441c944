"""Argon2id password hashing; a dummy verify keeps unknown-email logins as slow as wrong passwords."""

from __future__ import annotations

import asyncio
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash("dummy password for timing equalisation")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Verify in a thread; with no hash, verify against a dummy so timing matches."""
        target = password_hash or self._dummy_hash

        def _verify() -> bool:
            try:
                return self._hasher.verify(target, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(_verify)
        return ok and password_hash is not None
