"""The budget guard: no call starts unless its worst case fits in what is left (ADR-013).

Before a call, ``reserve`` sets aside the most the call can cost (an upper bound of its input
tokens plus ``max_tokens`` at the output price). After it, ``settle`` replaces the reservation
by the true cost, or ``release`` drops it when the call was abandoned (a stop, a cancellation,
a failed call: nothing is billed). Because every reservation is taken, under one lock, before
its call starts, any number of concurrent calls can never push the spend past the limit.

The guard is synchronous on purpose: it never awaits, so between coroutines of one event loop
each method is atomic, and the lock also makes it safe from threads.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from plot_palette.errors import BudgetExceededError


@dataclass(frozen=True)
class Reservation:
    """Money set aside for one call."""

    number: int
    amount: float


class BudgetGuard:
    """Spend, open reservations and the limit of one job."""

    def __init__(self, limit_usd: float, spent_usd: float = 0.0) -> None:
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
        self.overruns = 0

    @property
    def spent(self) -> float:
        """What settled calls really cost (including spend carried over from a checkpoint)."""
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

    def reserve(self, max_cost: float) -> Reservation:
        """Set aside ``max_cost``; ``BudgetExceededError`` when it does not fit."""
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
            reservation = Reservation(next(self._numbers), max_cost)
            self._open[reservation.number] = max_cost
            self._reserved += max_cost
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
            if actual_cost > reservation.amount:
                self.overruns += 1

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call was abandoned; releasing twice is harmless."""
        with self._lock:
            if self._open.pop(reservation.number, None) is not None:
                self._reserved -= reservation.amount
