"""The budget guard: no call starts unless its worst case fits in what is left (ADR-013).

Before a call, ``reserve`` sets aside the most the call can cost (an upper bound of its input
tokens plus ``max_tokens`` at the output price). After it, ``settle`` replaces the reservation
by the true cost, or ``release`` drops it when the call was abandoned. Because reservations are
taken before calls start, any number of concurrent calls can never push the spend past the
limit.
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
    """Spend, reservations and the limit of one job; safe from threads and coroutines."""

    def __init__(self, limit_usd: float, spent_usd: float = 0.0) -> None:
        if limit_usd <= 0:
            raise ValueError("a budget must be positive")
        self.limit = float(limit_usd)
        self._spent = float(spent_usd)
        self._open: dict[int, float] = {}
        self._numbers = itertools.count()
        self._lock = threading.Lock()

    @property
    def spent(self) -> float:
        return self._spent

    @property
    def reserved(self) -> float:
        with self._lock:
            return sum(self._open.values())

    @property
    def remaining(self) -> float:
        with self._lock:
            return self.limit - self._spent - sum(self._open.values())

    def reserve(self, max_cost: float) -> Reservation:
        """Set aside ``max_cost``; ``BudgetExceededError`` when it does not fit."""
        with self._lock:
            committed = self._spent + sum(self._open.values())
            if committed + max_cost > self.limit:
                raise BudgetExceededError(
                    f"the next call may cost ${max_cost:.6f}, but only "
                    f"${max(0.0, self.limit - committed):.6f} of the ${self.limit:.2f} budget "
                    "is left"
                )
            reservation = Reservation(next(self._numbers), max_cost)
            self._open[reservation.number] = max_cost
            return reservation

    def settle(self, reservation: Reservation, actual_cost: float) -> None:
        """Replace a reservation by what the call really cost."""
        with self._lock:
            self._open.pop(reservation.number, None)
            self._spent += actual_cost

    def release(self, reservation: Reservation) -> None:
        """Drop a reservation whose call was abandoned (nothing is billed)."""
        with self._lock:
            self._open.pop(reservation.number, None)
