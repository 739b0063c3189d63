"""A per-model concurrency limit that halves when Bedrock throttles and creeps back after.

Additive increase, multiplicative decrease, as TCP does for congestion:

* A throttled call halves the limit (never below one) — but only once per *window*: calls that
  were already in flight when the limit was cut carry old news, so their throttles do not cut
  it again. Without this, one burst of 64 throttled replies would take 64 down to 1.
* Every ``limit`` successful calls in a row raise the limit by one, up to the maximum, so a
  model recovers its full concurrency after the throttling stops.

Callers beyond the limit wait in FIFO order. ``release`` is synchronous so it can run in a
``finally`` of a cancelled coroutine without awaiting.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    """A granted slot, stamped with the window it was granted in."""

    window: int


class AdaptiveLimiter:
    """An asyncio semaphore whose size adapts to throttling (one per model)."""

    def __init__(self, maximum: int, initial: int | None = None) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self.limit = max(1, min(initial or maximum, maximum))
        self.in_flight = 0
        self.decreases = 0
        self._window = 0
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> Slot:
        """Wait for a slot under the current limit."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return Slot(self._window)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed over just as we were cancelled: pass it on.
                self.in_flight -= 1
                self._wake()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return Slot(self._window)

    def release(self, slot: Slot, *, throttled: bool = False) -> None:
        """Give a slot back, telling the limiter whether its call was throttled."""
        self.in_flight -= 1
        if throttled:
            self._successes = 0
            if slot.window == self._window:
                self.limit = max(1, self.limit // 2)
                self._window += 1
                self.decreases += 1
        else:
            self._successes += 1
            if self._successes >= self.limit and self.limit < self.maximum:
                self.limit += 1
                self._successes = 0
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(None)
