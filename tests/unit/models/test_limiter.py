"""The adaptive limiter: at most ``limit`` in flight, halves on throttling, recovers after."""

from __future__ import annotations

import asyncio

import pytest

from plot_palette.models import AdaptiveLimiter


async def one_call(limiter: AdaptiveLimiter, *, throttled: bool = False) -> None:
    slot = await limiter.acquire()
    limiter.release(slot, throttled=throttled)


def test_throttling_halves_and_successes_recover() -> None:
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(maximum=8)
        seen = [limiter.limit]
        for _ in range(2):
            await one_call(limiter, throttled=True)
            seen.append(limiter.limit)
        # 2 successes take the limit from 2 to 3, 3 more to 4, then 4 to 5 and 5 to 6
        for _ in range(2 + 3 + 4 + 5):
            await one_call(limiter)
        seen.append(limiter.limit)
        for _ in range(100):
            await one_call(limiter)
        seen.append(limiter.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 2, 6, 8]


def test_a_burst_of_throttles_from_one_window_halves_once() -> None:
    """GIVEN 16 calls in flight WHEN all come back throttled THEN the limit halves once, not 16x."""

    async def scenario() -> tuple[int, int, int]:
        limiter = AdaptiveLimiter(maximum=16)
        slots = [await limiter.acquire() for _ in range(16)]
        for slot in slots:
            limiter.release(slot, throttled=True)
        after_burst = limiter.limit
        # a call granted after the cut is news: its throttle cuts again
        await one_call(limiter, throttled=True)
        return after_burst, limiter.limit, limiter.decreases

    assert asyncio.run(scenario()) == (8, 4, 2)


def test_never_more_in_flight_than_the_limit() -> None:
    async def scenario() -> int:
        limiter = AdaptiveLimiter(maximum=3)
        peak = 0

        async def call() -> None:
            nonlocal peak
            slot = await limiter.acquire()
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0)
            limiter.release(slot)

        await asyncio.gather(*(call() for _ in range(50)))
        return peak

    assert asyncio.run(scenario()) == 3


def test_waiters_are_served_in_arrival_order() -> None:
    async def scenario() -> list[int]:
        limiter = AdaptiveLimiter(maximum=1)
        order: list[int] = []
        first = await limiter.acquire()

        async def call(number: int) -> None:
            slot = await limiter.acquire()
            order.append(number)
            limiter.release(slot)

        tasks = [asyncio.create_task(call(number)) for number in range(5)]
        await asyncio.sleep(0)
        limiter.release(first)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_a_cancelled_waiter_gives_up_its_place_and_leaks_no_slot() -> None:
    async def scenario() -> tuple[int, int]:
        limiter = AdaptiveLimiter(maximum=1)
        held = await limiter.acquire()
        waiting = asyncio.create_task(limiter.acquire())
        granted_then_cancelled = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.sleep(0)
        limiter.release(held)  # hands the slot to the second waiter ...
        granted_then_cancelled.cancel()  # ... which is cancelled before it runs
        for task in (waiting, granted_then_cancelled):
            with pytest.raises(asyncio.CancelledError):
                await task
        await one_call(limiter)  # the slot came back
        return limiter.in_flight, len(limiter._waiters)

    assert asyncio.run(scenario()) == (0, 0)


def test_the_limit_never_falls_below_one() -> None:
    async def scenario() -> int:
        limiter = AdaptiveLimiter(maximum=2)
        for _ in range(5):
            await one_call(limiter, throttled=True)
        return limiter.limit

    assert asyncio.run(scenario()) == 1
    with pytest.raises(ValueError, match="at least 1"):
        AdaptiveLimiter(maximum=0)
