"""The guard waits for open reservations before declaring a budget spent (issue 21).

Refusing the first worst-case reservation that does not fit ended jobs while up to 16 open
reservations were about to settle far below their worst case: half a small budget unspent.
"""

from __future__ import annotations

import asyncio

import pytest

from plot_palette.budget import BudgetGuard
from plot_palette.errors import BudgetExceededError


def test_a_call_that_does_not_fit_waits_for_open_calls_to_settle() -> None:
    """GIVEN a budget whose rest is held by an open worst-case reservation WHEN another call asks
    THEN it waits, and runs once the open call settles below its worst case."""
    guard = BudgetGuard(1.0)

    async def scenario() -> float:
        first = await guard.acquire(0.6)
        second = asyncio.create_task(guard.acquire(0.6))
        await asyncio.sleep(0.01)
        assert not second.done()  # 0.6 + 0.6 > 1: waiting, not refused
        guard.settle(first, 0.2)
        reservation = await asyncio.wait_for(second, timeout=120)
        return reservation.amount

    assert asyncio.run(scenario()) == 0.6
    assert guard.spent == pytest.approx(0.2)
    assert guard.waits == 1


def test_the_budget_is_spent_only_when_nothing_open_could_make_room() -> None:
    guard = BudgetGuard(1.0, spent_usd=0.5)

    async def scenario() -> None:
        held = await guard.acquire(0.4)
        waiting = asyncio.create_task(guard.acquire(0.3))
        await asyncio.sleep(0.01)
        guard.settle(held, 0.35)  # 0.85 spent: 0.3 can never fit now
        with pytest.raises(BudgetExceededError, match="only"):
            await asyncio.wait_for(waiting, timeout=120)
        with pytest.raises(BudgetExceededError):  # nothing open: refused at once
            await guard.acquire(0.3)
        assert (await guard.acquire(0.1)).amount == 0.1  # a smaller call still fits

    asyncio.run(scenario())


def test_waiters_are_served_first_come_first_served() -> None:
    """GIVEN a record's next step waiting WHEN a later, smaller call asks THEN it queues behind
    (a started record goes first, so fewer records are abandoned half-made at the end)."""
    guard = BudgetGuard(1.0)
    order: list[str] = []

    async def ask(name: str, amount: float) -> None:
        reservation = await guard.acquire(amount)
        order.append(name)
        guard.settle(reservation, amount / 10)

    async def scenario() -> None:
        held = await guard.acquire(0.9)
        early = asyncio.create_task(ask("early", 0.5))
        await asyncio.sleep(0.01)
        late = asyncio.create_task(ask("late", 0.05))  # would fit now, but someone waits
        await asyncio.sleep(0.01)
        assert order == []
        guard.settle(held, 0.1)
        await asyncio.wait_for(asyncio.gather(early, late), timeout=120)

    asyncio.run(scenario())
    assert order == ["early", "late"]


def test_a_cancelled_waiter_leaves_the_queue_and_the_next_one_goes() -> None:
    guard = BudgetGuard(1.0)

    async def scenario() -> None:
        held = await guard.acquire(0.9)
        first = asyncio.create_task(guard.acquire(0.5))
        second = asyncio.create_task(guard.acquire(0.5))
        await asyncio.sleep(0.01)
        first.cancel()
        guard.settle(held, 0.1)
        reservation = await asyncio.wait_for(second, timeout=120)
        assert reservation.amount == 0.5
        assert first.cancelled()

    asyncio.run(scenario())
    assert guard.reserved == pytest.approx(0.5)


def test_a_release_wakes_a_waiter_too() -> None:
    guard = BudgetGuard(1.0)

    async def scenario() -> None:
        held = await guard.acquire(0.8)
        waiting = asyncio.create_task(guard.acquire(0.8))
        await asyncio.sleep(0.01)
        guard.release(held)  # the call was never sent
        await asyncio.wait_for(waiting, timeout=120)

    asyncio.run(scenario())


def test_sixteen_concurrent_calls_spend_a_small_budget_down_to_one_call() -> None:
    """GIVEN 16 calls at a time whose worst case is 4x what they cost WHEN they run until the
    budget refuses THEN less than one worst case is left unspent (it was 52-56% before)."""
    budget, worst = 0.05, 0.002
    guard = BudgetGuard(budget)
    made = 0

    async def call(index: int) -> None:
        nonlocal made
        while True:
            try:
                reservation = await guard.acquire(worst)
            except BudgetExceededError:
                return
            await asyncio.sleep(0.001 * (index % 5))
            guard.settle(reservation, worst / 4)
            made += 1

    async def scenario() -> None:
        await asyncio.gather(*(call(index) for index in range(16)))

    asyncio.run(scenario())
    assert budget - worst < guard.spent <= budget
    assert made == round(guard.spent / (worst / 4))
    assert guard.reserved == 0
