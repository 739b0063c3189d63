"""The adaptive limiter: at most ``limit`` in flight, halves on throttling, recovers after."""

from __future__ import annotations

import asyncio

import pytest

from plot_palette.models import AdaptiveLimiter


def test_throttling_halves_and_successes_recover() -> None:
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(maximum=8)
        seen = [limiter.limit]
        for _ in range(2):
            await limiter.acquire()
            await limiter.release(throttled=True)
            seen.append(limiter.limit)
        for _ in range(2 + 3 + 4 + 5):
            await limiter.acquire()
            await limiter.release()
        seen.append(limiter.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 2, 6]


def test_never_more_in_flight_than_the_limit() -> None:
    async def scenario() -> int:
        limiter = AdaptiveLimiter(maximum=3)
        peak = 0

        async def call() -> None:
            nonlocal peak
            await limiter.acquire()
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0.001)
            await limiter.release()

        await asyncio.gather(*(call() for _ in range(50)))
        return peak

    assert asyncio.run(scenario()) == 3


def test_the_limit_never_falls_below_one() -> None:
    async def scenario() -> int:
        limiter = AdaptiveLimiter(maximum=2)
        for _ in range(5):
            await limiter.acquire()
            await limiter.release(throttled=True)
        return limiter.limit

    assert asyncio.run(scenario()) == 1
    with pytest.raises(ValueError, match="at least 1"):
        AdaptiveLimiter(maximum=0)
