"""The budget guard: reservations before calls mean spend never passes the limit."""

from __future__ import annotations

import asyncio
import random

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
    assert guard.spent == pytest.approx(0.3)
    assert guard.remaining == pytest.approx(0.7)


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        BudgetGuard(0)


def test_many_concurrent_calls_never_exceed_a_tight_budget() -> None:
    guard = BudgetGuard(0.05)
    rng = random.Random(3)

    async def call() -> bool:
        worst = 0.004
        try:
            reservation = guard.reserve(worst)
        except BudgetExceededError:
            return False
        await asyncio.sleep(rng.random() / 200)
        guard.settle(reservation, rng.uniform(0.0005, worst))
        return True

    async def scenario() -> list[bool]:
        return await asyncio.gather(*(call() for _ in range(500)))

    done = asyncio.run(scenario())
    assert guard.spent <= 0.05
    assert sum(done) >= 12
    assert guard.reserved == 0
