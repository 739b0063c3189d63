"""The heartbeat thread survives every failure but a token that is gone (issue #21: zombies)."""

from __future__ import annotations

import threading
import time
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from plot_palette.worker.heartbeat import Heartbeat


class FlakySfn:
    """Raises the given errors on the first calls, then succeeds."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0
        self.lock = threading.Lock()

    def send_task_heartbeat(self, taskToken: str) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
            if self.errors:
                raise self.errors.pop(0)
        return {}


def wait_for(predicate: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def token_gone() -> ClientError:
    return ClientError({"Error": {"Code": "TaskTimedOut", "Message": "gone"}}, "SendTaskHeartbeat")


def test_the_thread_beats_again_after_a_network_error() -> None:
    # GIVEN an endpoint that cannot be reached once, then answers
    sfn = FlakySfn(EndpointConnectionError(endpoint_url="https://states.example"))
    heartbeat = Heartbeat(sfn, "token", interval=0.01)
    # WHEN the thread runs
    heartbeat.start()
    try:
        # THEN it keeps beating: the failure is counted, later beats are sent
        wait_for(lambda: heartbeat.sent >= 2)
    finally:
        heartbeat.stop()
    assert heartbeat.failed == 1
    assert not heartbeat.lost.is_set()


def test_the_thread_survives_any_exception() -> None:
    sfn = FlakySfn(
        ReadTimeoutError(endpoint_url="https://states.example"),
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "X"),
        RuntimeError("a bug"),
    )
    heartbeat = Heartbeat(sfn, "token", interval=0.01)
    heartbeat.start()
    try:
        wait_for(lambda: heartbeat.sent >= 1)
    finally:
        heartbeat.stop()
    assert heartbeat.failed == 3


def test_beat_never_raises() -> None:
    heartbeat = Heartbeat(FlakySfn(EndpointConnectionError(endpoint_url="x")), "t", 60)
    heartbeat.beat()
    assert heartbeat.failed == 1 and heartbeat.sent == 0


def test_a_token_that_is_gone_still_marks_the_worker_lost_and_ends_the_thread() -> None:
    sfn = FlakySfn(EndpointConnectionError(endpoint_url="x"), token_gone())
    heartbeat = Heartbeat(sfn, "token", interval=0.01)
    heartbeat.start()
    try:
        wait_for(heartbeat.lost.is_set)
        wait_for(lambda: not heartbeat._thread.is_alive())
    finally:
        heartbeat.stop()
    assert sfn.calls == 2


def test_stop_before_start_is_harmless() -> None:
    Heartbeat(FlakySfn(), "token", interval=60).stop()
