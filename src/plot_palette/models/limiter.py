"""A per-model concurrency limit that halves when Bedrock throttles and creeps back after.

Additive increase, multiplicative decrease: each throttled call halves the limit (never below
one), and every ``limit`` successful calls in a row raise it by one, up to the configured
maximum. Calls beyond the limit wait their turn in FIFO order.
"""

from __future__ import annotations

import asyncio


class AdaptiveLimiter:
    """An asyncio semaphore whose size adapts to throttling."""

    def __init__(self, maximum: int, initial: int | None = None) -> None:
        if maximum < 1:
            raise ValueError("maximum must be at least 1")
        self.maximum = maximum
        self.limit = min(initial or maximum, maximum)
        self.in_flight = 0
        self._successes = 0
        self._condition: asyncio.Condition | None = None

    def _cond(self) -> asyncio.Condition:
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    async def acquire(self) -> None:
        condition = self._cond()
        async with condition:
            await condition.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def release(self, *, throttled: bool = False) -> None:
        condition = self._cond()
        async with condition:
            self.in_flight -= 1
            if throttled:
                self.limit = max(1, self.limit // 2)
                self._successes = 0
            else:
                self._successes += 1
                if self._successes >= self.limit and self.limit < self.maximum:
                    self.limit += 1
                    self._successes = 0
            condition.notify_all()
