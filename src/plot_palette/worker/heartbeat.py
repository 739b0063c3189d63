"""Task-token heartbeats, so Step Functions notices a worker that died silently."""

from __future__ import annotations

import logging
import threading
from typing import Any

from botocore.exceptions import ClientError

LOGGER = logging.getLogger(__name__)
_TOKEN_GONE = {"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"}


class Heartbeat:
    """Sends ``SendTaskHeartbeat`` every ``interval`` seconds on a daemon thread.

    When Step Functions says the token is gone (timed out, or the execution ended), the state
    machine has given up on this worker: ``lost`` is set so the worker stops as a zombie.
    """

    def __init__(self, sfn: Any, token: str, interval: float) -> None:
        self._sfn = sfn
        self._token = token
        self._interval = interval
        self._stop = threading.Event()
        self.lost = threading.Event()
        self.sent = 0
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        """Send one heartbeat now."""
        try:
            self._sfn.send_task_heartbeat(taskToken=self._token)
            self.sent += 1
        except ClientError as error:
            if error.response["Error"]["Code"] in _TOKEN_GONE:
                self.lost.set()
            else:
                LOGGER.warning("heartbeat failed", extra={"code": error.response["Error"]["Code"]})

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()
            if self.lost.is_set():
                return
