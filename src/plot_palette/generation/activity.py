"""What each record in flight is doing, so a stuck worker can name the record it is stuck on.

The engine marks each record's render and each model call (``doing``); the worker's loop marks
every record it settles (``progressed``). The worker's watchdog (``worker.watchdog``) reads both
from another thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

RENDERING = "rendering"
CALLING = "calling"


@dataclass(frozen=True)
class Suspect:
    """A record in flight when the worker stalled, and what it was doing."""

    seed_index: int
    sample_index: int
    doing: str
    seconds: float


class RecordActivity:
    """What each record in flight is doing, and when a record last settled.

    Written from the event loop's thread, read from the watchdog's: a lock keeps the read whole.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._doing: dict[tuple[int, int], tuple[str, float]] = {}
        self.last_progress = clock()

    @contextlib.contextmanager
    def doing(self, seed_index: int, sample_index: int, what: str) -> Iterator[None]:
        key = (seed_index, sample_index)
        with self._lock:
            self._doing[key] = (what, self._clock())
        try:
            yield
        finally:
            with self._lock:
                self._doing.pop(key, None)

    def progressed(self) -> None:
        """A record settled (written or given up on) or a batch was committed."""
        self.last_progress = self._clock()

    def idle_seconds(self) -> float:
        return self._clock() - self.last_progress

    def suspects(self, stall_seconds: float) -> list[Suspect]:
        """The render in progress, or else the calls outstanding for ``stall_seconds``."""
        now = self._clock()
        with self._lock:
            doing = dict(self._doing)
        rendering = [
            Suspect(seed, sample, what, now - since)
            for (seed, sample), (what, since) in doing.items()
            if what.startswith(RENDERING)
        ]
        if rendering:
            return rendering
        return sorted(
            (
                Suspect(seed, sample, what, now - since)
                for (seed, sample), (what, since) in doing.items()
                if now - since >= stall_seconds
            ),
            key=lambda suspect: (suspect.sample_index, suspect.seed_index),
        )
