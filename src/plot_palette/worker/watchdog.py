"""Notice a worker that is alive but stuck, and name the record it is stuck on (issue #16).

The heartbeat thread proves only that the process lives: a render or a model call that never
returns would keep a job RUNNING, holding a run slot, until the task's 24-hour timeout. So the
heartbeat is tied to progress. The engine marks what each record in flight is doing
(``RecordActivity``: rendering a step, or calling a model) and the loop marks every record it
settles; when nothing settles for ``stall_seconds`` the watchdog thread calls ``on_stall`` with
the records it suspects, and the worker stops heart-beating, counts a wedge against each suspect
in the checkpoint, reports ``WorkerStalled`` and exits: the state machine relaunches it from the
checkpoint, and a record that wedged two workers is skipped as poison (``record_failures``).

Which records are suspects: renders run on the event loop's thread, one at a time, so a render
in progress when the stall is noticed is the one that blocks everything, and it alone is named.
Otherwise the loop is free and waits on calls: each call outstanding for longer than
``stall_seconds`` is named. Records merely waiting for budget or a batch to finish are never
named.

A hang in C code that holds the GIL stops this thread too; then the heartbeat stops as well, and
the state machine's heartbeat timeout relaunches the worker without a suspect named.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from plot_palette.generation.activity import RecordActivity, Suspect


@dataclass(frozen=True)
class Stall:
    """How long nothing settled, and the records suspected of it."""

    idle_seconds: float
    suspects: list[Suspect]

    def describe(self) -> str:
        if not self.suspects:
            return f"no record settled for {self.idle_seconds:.0f} s (no record named)"
        named = ", ".join(
            f"seed {s.seed_index} sample {s.sample_index} ({s.doing} for {s.seconds:.0f} s)"
            for s in self.suspects
        )
        return f"no record settled for {self.idle_seconds:.0f} s; stuck: {named}"


class StallWatchdog:
    """A daemon thread that calls ``on_stall`` once, when nothing settled for ``stall_seconds``."""

    def __init__(
        self,
        activity: RecordActivity,
        stall_seconds: float,
        on_stall: Callable[[Stall], None],
        *,
        poll_seconds: float | None = None,
    ) -> None:
        self._activity = activity
        self._stall_seconds = stall_seconds
        self._on_stall = on_stall
        self._poll = poll_seconds or max(0.5, min(stall_seconds / 10, 10.0))
        self._stop = threading.Event()
        self.fired = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-watchdog", daemon=True)

    def start(self) -> None:
        self._activity.progressed()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            idle = self._activity.idle_seconds()
            if idle >= self._stall_seconds:
                self.fired.set()
                self._on_stall(Stall(idle, self._activity.suspects(self._stall_seconds)))
                return
