"""Stop signals are remembered from the first instant and reach the run's stop event."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator

import pytest

from plot_palette.worker.signals import StopSignals


@pytest.fixture
def signals() -> Iterator[StopSignals]:
    installed = StopSignals()
    installed.install()
    yield installed
    installed.uninstall()


def test_a_sigterm_is_remembered_instead_of_ending_the_process(signals: StopSignals) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    assert signals.received.is_set()
    assert signals.last == signal.SIGTERM


def test_a_signal_that_came_before_the_loop_stops_the_run_at_once(signals: StopSignals) -> None:
    os.kill(os.getpid(), signal.SIGINT)

    async def run() -> bool:
        stop = asyncio.Event()
        detach = signals.attach(asyncio.get_running_loop(), stop)
        detach()
        return stop.is_set()

    assert asyncio.run(run())


def test_a_signal_during_the_run_sets_the_stop_event(signals: StopSignals) -> None:
    async def run() -> bool:
        stop = asyncio.Event()
        detach = signals.attach(asyncio.get_running_loop(), stop)
        try:
            assert not stop.is_set()
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stop.wait(), timeout=120)
            return stop.is_set()
        finally:
            detach()

    assert asyncio.run(run())


def test_a_signal_after_the_loop_closed_is_still_remembered(signals: StopSignals) -> None:
    async def run() -> None:
        signals.attach(asyncio.get_running_loop(), asyncio.Event())  # never detached

    asyncio.run(run())
    os.kill(os.getpid(), signal.SIGTERM)  # the closed loop's listener must not raise
    assert signals.received.is_set()
