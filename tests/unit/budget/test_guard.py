"""The budget guard: reservations before calls mean spend never passes the limit."""

from __future__ import annotations

import asyncio
import random
import threading

import pytest

from plot_palette.budget import BudgetGuard
from plot_palette.errors import BudgetExceededError


def test_reserve_settle_release() -> None:
    guard = BudgetGuard(1.0, spent_usd=0.2)
    first = guard.reserve(0.5)
    assert guard.remaining == pytest.approx(0.3)
    with pytest.raises(BudgetExceededError, match="only"):
        guard.reserve(0.4)
    guard.settle(first, 0.1)
    assert (guard.spent, guard.reserved) == (pytest.approx(0.3), 0)
    second = guard.reserve(0.7)
    guard.release(second)
    guard.release(second)  # twice is harmless: a finally may release what was released
    assert guard.spent == pytest.approx(0.3)
    assert guard.remaining == pytest.approx(0.7)


def test_a_reservation_settles_once() -> None:
    guard = BudgetGuard(1.0)
    reservation = guard.reserve(0.1)
    guard.settle(reservation, 0.05)
    with pytest.raises(ValueError, match="not open"):
        guard.settle(reservation, 0.05)
    assert guard.spent == pytest.approx(0.05)


def test_an_overrun_is_billed_and_counted() -> None:
    guard = BudgetGuard(1.0)
    guard.settle(guard.reserve(0.1), 0.15)
    assert (guard.spent, guard.overruns) == (pytest.approx(0.15), 1)


def test_bad_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        BudgetGuard(0)
    with pytest.raises(ValueError, match="negative"):
        BudgetGuard(1, spent_usd=-1)
    with pytest.raises(ValueError, match="negative"):
        BudgetGuard(1).reserve(-0.1)


def test_spend_carried_over_from_a_checkpoint_counts() -> None:
    guard = BudgetGuard(1.0, spent_usd=0.99)
    with pytest.raises(BudgetExceededError):
        guard.reserve(0.02)
    assert guard.reserve(0.01).amount == 0.01


def test_many_concurrent_coroutines_never_exceed_a_tight_budget() -> None:
    guard = BudgetGuard(0.05)
    rng = random.Random(3)

    async def call() -> bool:
        worst = 0.004
        try:
            reservation = guard.reserve(worst)
        except BudgetExceededError:
            return False
        await asyncio.sleep(rng.random() / 200)
        if rng.random() < 0.1:
            guard.release(reservation)  # abandoned: not billed
        else:
            guard.settle(reservation, rng.uniform(0.0005, worst))
        return True

    async def scenario() -> list[bool]:
        return await asyncio.gather(*(call() for _ in range(500)))

    done = asyncio.run(scenario())
    assert guard.spent <= 0.05
    assert sum(done) >= 12  # at least limit / worst case calls could run
    assert guard.reserved == 0


def test_many_threads_never_exceed_a_tight_budget() -> None:
    guard = BudgetGuard(0.1)
    barrier = threading.Barrier(16)
    admitted: list[int] = []

    def worker(number: int) -> None:
        rng = random.Random(number)
        barrier.wait()
        for _ in range(200):
            try:
                reservation = guard.reserve(0.003)
            except BudgetExceededError:
                continue
            admitted.append(number)
            assert guard.spent + guard.reserved <= 0.1 + 1e-12
            guard.settle(reservation, rng.uniform(0.001, 0.003))

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert guard.spent <= 0.1
    assert guard.remaining < 0.003  # it was spent down to the last call that fits
    assert len(admitted) >= 0.1 / 0.003
