"""The budget guard: no call starts unless its worst case fits in what is left (ADR-013).

Before a call, a reservation sets aside the most the call can cost (an upper bound of its input
tokens plus ``max_tokens`` at the output price). After it, ``settle`` replaces the reservation
by the true cost, or ``release`` drops it when the call was abandoned before it was sent.
Because every reservation is taken, under one lock, before its call starts, any number of
concurrent calls can never push the spend past the limit.

Two ways to reserve:

- ``reserve`` refuses at once when the worst case does not fit (sequential callers: the judge,
  test runs);
- ``await acquire`` waits while other reservations are open, since they usually settle far below
  their worst case, and declares the budget spent (``BudgetExceededError``) only when the call
  still does not fit with nothing open. Waiters are served first come, first served, so a record
  that has started (its next step waits) goes before records that start later. Waiting is for
  callers on one asyncio loop (the worker's); ``settle`` and ``release`` may come from any
  thread.

With a ``SpendRecord`` (``budget.ledger.SpendLedger``), every reservation is durably covered
before the call starts (write-ahead), and settled costs are handed to it, so the job's recorded
spend is never below what was billed, whatever kills the process.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Protocol

from plot_palette.budget.ledger import SpendLeaseLostError
from plot_palette.errors import BudgetExceededError

LOGGER = logging.getLogger(__name__)

# How many worst-case calls one lease write covers beyond what is open: fewer writes, a larger
# figure counted as spent if the process dies holding it.
LEASE_CALLS = 8


class SpendRecord(Protocol):
    """The durable side of a guard (``SpendLedger``); see ``budget.ledger`` for the contract."""

    lost: bool
    recorded_usd: float

    def covers(self, reserved: float) -> bool: ...

    def cover(self, reserved: float, spare: float = 0.0) -> None: ...

    def settled(self, cost: float, label: str | None = None) -> None: ...

    def flush(self, reserved: float = 0.0) -> float: ...

    def close(self, reserved: float = 0.0) -> float: ...


@dataclass(frozen=True)
class Reservation:
    """Money set aside for one call."""

    number: int
    amount: float
    label: str | None = None


@dataclass(eq=False)
class _Waiter:
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class BudgetGuard:
    """Spend, open reservations and the limit of one job."""

    def __init__(
        self,
        limit_usd: float,
        spent_usd: float = 0.0,
        *,
        record: SpendRecord | None = None,
        lease_calls: float = LEASE_CALLS,
    ) -> None:
        if limit_usd <= 0:
            raise ValueError("a budget must be positive")
        if spent_usd < 0:
            raise ValueError("spend cannot be negative")
        self.limit = float(limit_usd)
        self._spent = float(spent_usd)
        self._open: dict[int, float] = {}
        self._reserved = 0.0
        self._numbers = itertools.count()
        self._lock = threading.Lock()
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._record = record
        self._lease_calls = lease_calls
        self._cover_lock: asyncio.Lock | None = None
        self.overruns = 0
        self.waits = 0

    @property
    def spent(self) -> float:
        """What settled calls really cost (including spend recorded before this run)."""
        return self._spent

    @property
    def reserved(self) -> float:
        """What open reservations hold back."""
        with self._lock:
            return self._reserved if self._open else 0.0

    @property
    def remaining(self) -> float:
        """What a new reservation may still take."""
        with self._lock:
            return self.limit - self._spent - (self._reserved if self._open else 0.0)

    @property
    def lost(self) -> bool:
        """Whether another run took this run's spend lease over (this run must stop)."""
        return self._record is not None and self._record.lost

    @property
    def recorded_usd(self) -> float:
        """The job's recorded spend as last written (``spent`` when nothing is recorded)."""
        return self._record.recorded_usd if self._record is not None else self._spent

    def reserve(self, max_cost: float, label: str | None = None) -> Reservation:
        """Set aside ``max_cost``; ``BudgetExceededError`` at once when it does not fit.

        With a spend record, the reservation is durably covered before this returns (a write
        when the lease is short, which blocks: use ``acquire`` on an event loop).
        """
        reservation = self._take(max_cost, label)
        if self._record is not None and not self._record.covers(self.reserved):
            try:
                self._cover(reservation)
            except BaseException:
                self.release(reservation)
                raise
        return reservation

    async def acquire(self, max_cost: float, label: str | None = None) -> Reservation:
        """Set aside ``max_cost``, waiting for open reservations to settle when it does not fit.

        ``BudgetExceededError`` only when it does not fit and nothing is open, so nothing can
        settle to make room. The reservation is durably covered before this returns.
        """
        record = self._record
        if record is not None and record.lost:
            raise SpendLeaseLostError("another run took this run's spend lease over")
        reservation = await self._wait_for_room(max_cost, label)
        if record is not None and not record.covers(self.reserved):
            try:
                if self._cover_lock is None:
                    self._cover_lock = asyncio.Lock()
                async with self._cover_lock:  # one write in flight; the others see its lease
                    if not record.covers(self.reserved):
                        await asyncio.to_thread(self._cover, reservation)
            except BaseException:
                self.release(reservation)
                raise
        return reservation

    def settle(self, reservation: Reservation, actual_cost: float) -> None:
        """Replace a reservation by what the call really cost.

        Settling twice would bill a call twice, so a reservation that is no longer open is a
        programming error. A cost above the reservation is still recorded (the money is spent)
        and counted in ``overruns`` so a wrong bound shows up in metrics.
        """
        with self._lock:
            if self._open.pop(reservation.number, None) is None:
                raise ValueError(f"reservation {reservation.number} is not open")
            self._reserved -= reservation.amount
            self._spent += actual_cost
            overrun = actual_cost > reservation.amount
            self.overruns += int(overrun)
        if self._record is not None:
            self._record.settled(actual_cost, reservation.label)
            if overrun and not self._record.covers(self.reserved):
                self._cover_after_overrun()
        self._wake()

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call was never sent; releasing twice is harmless."""
        with self._lock:
            if self._open.pop(reservation.number, None) is None:
                return
            self._reserved -= reservation.amount
        self._wake()

    def flush(self) -> float:
        """Write settled spend through to the record (once per committed batch); returns what
        settled calls cost so far (``spent``: the job's cost over time, without open leases)."""
        if self._record is not None:
            self._record.flush(self.reserved)
        return self._spent

    def close(self) -> float:
        """Flush and hand back the unused lease when the run ends; returns recorded spend."""
        if self._record is None:
            return self._spent
        return self._record.close(self.reserved)

    # -- internals -----------------------------------------------------------------------------

    def _take(self, max_cost: float, label: str | None) -> Reservation:
        if max_cost < 0:
            raise ValueError("a reservation cannot be negative")
        with self._lock:
            committed = self._spent + (self._reserved if self._open else 0.0)
            if committed + max_cost > self.limit:
                raise BudgetExceededError(
                    f"the next call may cost ${max_cost:.6f}, but only "
                    f"${max(0.0, self.limit - committed):.6f} of the ${self.limit:.2f} budget "
                    "is left"
                )
            reservation = Reservation(next(self._numbers), max_cost, label)
            self._open[reservation.number] = max_cost
            self._reserved += max_cost
            return reservation

    async def _wait_for_room(self, max_cost: float, label: str | None) -> Reservation:
        waiter = _Waiter(asyncio.get_running_loop())
        with self._lock:
            self._waiters.append(waiter)
        try:
            while True:
                waiter.event.clear()
                with self._lock:
                    first = self._waiters[0] is waiter
                    nothing_open = not self._open
                if first:
                    try:
                        return self._take(max_cost, label)
                    except BudgetExceededError:
                        if nothing_open:
                            raise
                    self.waits += 1
                await waiter.event.wait()
        finally:
            with self._lock:
                self._waiters.remove(waiter)
            self._wake()  # the next in line tries now

    def _wake(self) -> None:
        """Let the first waiter try again (from any thread)."""
        with self._lock:
            head = self._waiters[0] if self._waiters else None
        if head is not None:
            # RuntimeError: its loop has closed, so nobody is waiting any more
            with contextlib.suppress(RuntimeError):
                head.loop.call_soon_threadsafe(head.event.set)

    def _cover(self, reservation: Reservation) -> None:
        assert self._record is not None
        spare = min(self.remaining, self._lease_calls * reservation.amount)
        self._record.cover(self.reserved, spare)

    def _cover_after_overrun(self) -> None:
        """A call cost more than its bound: record it now rather than at the next write."""
        assert self._record is not None
        try:
            self._record.cover(self.reserved, 0.0)
        except Exception as error:  # the lease was taken over or the write failed: logged
            LOGGER.warning("could not record an overrun at once", exc_info=error)
