"""A bounded pool for image decodes: few threads, and a memory budget they are admitted against.

Without it every confirmPhotoUpload decoded in its own `to_thread` worker, so N parallel
uploads held N canvases at once (four 40 Mpx PNGs: ~2 GB). Here a decode first reserves its
estimated peak (media/images.decode_cost) from the budget, waits (bounded) while others hold
it, and gives it back only when its thread has really finished, even if the request was
cancelled meanwhile. Afterwards the C heap is trimmed so the process's RSS falls back.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter


class PoolBusy(Exception):
    """The budget stayed full for the whole wait: the caller should retry later."""


class TooCostly(Exception):
    """One decode alone would exceed the whole budget."""


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()
if _LIBC is not None:
    # glibc raises its mmap threshold to the size of each freed mmapped block (up to 32 MB), after
    # which Pillow's 16 MB image blocks come from the heap and freed canvases stay in RSS. A fixed
    # 1 MB threshold keeps every canvas block mmapped, so freeing it returns it to the system.
    _LIBC.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)


def release_memory() -> None:
    """Hand freed heap pages of every malloc arena back to the system (glibc only; else no-op)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class DecodePool:
    """Runs CPU-bound decodes on `workers` threads, admitting each against `budget` bytes."""

    def __init__(self, workers: int, budget: int, wait_seconds: float) -> None:
        self.workers = max(1, workers)
        self.budget = budget
        self.wait_seconds = wait_seconds
        self.in_use = 0
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="image-decode")
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _reserve(self, cost: int) -> None:
        changed = self._condition()
        async with changed:
            if self.in_use + cost > self.budget:
                try:
                    await asyncio.wait_for(
                        changed.wait_for(lambda: self.in_use + cost <= self.budget), self.wait_seconds
                    )
                except TimeoutError:
                    raise PoolBusy from None
            self.in_use += cost

    async def _give_back(self, cost: int) -> None:
        changed = self._condition()
        async with changed:
            self.in_use -= cost
            changed.notify_all()

    async def run(self, cost: int, fn: Callable[..., T], *args: object) -> T:
        """fn(*args) on a pool thread once `cost` bytes fit in the budget."""
        if cost > self.budget:
            raise TooCostly
        await self._reserve(cost)
        loop = asyncio.get_running_loop()

        def finished(_: Future[T]) -> None:
            release_memory()
            try:
                loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._give_back(cost)))
            except RuntimeError:  # the loop closed (shutdown): nobody waits for the budget
                pass

        try:
            work = self._executor.submit(fn, *args)
        except BaseException:
            await self._give_back(cost)
            raise
        work.add_done_callback(finished)
        # A cancelled request does not stop the thread; the budget is returned by `finished`.
        return await asyncio.wrap_future(work)
