"""Stop signals (SIGTERM from Spot or StopTask, SIGINT) remembered from the worker's first instant.

Python's default SIGTERM action ends the process at once. A Spot interruption or a StopTask that
arrives while the worker is still importing boto3 or loading its job would kill it silently, and
the state machine would learn of it only at the heartbeat timeout. So the entrypoint installs
these handlers before anything else (this module imports only the standard library), and the run
later attaches its event loop: a signal that came early stops the run as soon as it starts.

The handler stays installed for the whole process (rather than ``loop.add_signal_handler``, which
puts back the default action when the loop closes): a second SIGTERM while the worker reports its
outcome is remembered too, never fatal.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopSignals:
    """Remembers the stop signals a process gets and forwards them to the run's stop event."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self.last: int | None = None
        self._listeners: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        """From now on a stop signal is remembered instead of ending the process (main thread)."""
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)

    def uninstall(self) -> None:
        """Put back the handlers ``install`` replaced (for tests that run in one process)."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.last = signum
        self.received.set()
        for listener in list(self._listeners):
            listener()

    def attach(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Callable[[], None]:
        """Set ``stop`` on the next signal, and now when one has already come.

        Returns the function that detaches ``stop`` again (call it before the loop closes).
        """

        def listener() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                loop.call_soon_threadsafe(stop.set)

        self._listeners.append(listener)
        if self.received.is_set():
            stop.set()
        return lambda: self._listeners.remove(listener)
