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

    Any other failure (throttling, a dropped connection, an endpoint that cannot be reached, a
    bug) is logged and the thread beats again at the next interval: a heartbeat thread that ended
    on one network error would make a live worker look dead, and the state machine would launch
    a second worker beside it.
    """

    def __init__(self, sfn: Any, token: str, interval: float) -> None:
        self._sfn = sfn
        self._token = token
        self._interval = interval
        self._stop = threading.Event()
        self.lost = threading.Event()
        self.sent = 0
        self.failed = 0
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def beat(self) -> None:
        """Send one heartbeat now; never raises."""
        try:
            self._sfn.send_task_heartbeat(taskToken=self._token)
            self.sent += 1
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _TOKEN_GONE:
                self.lost.set()
            else:
                self.failed += 1
                LOGGER.warning("heartbeat failed", extra={"code": code})
        except Exception as error:  # network errors and anything else: try again next time
            self.failed += 1
            LOGGER.warning("heartbeat failed", extra={"error": type(error).__name__})

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.beat()
            if self.lost.is_set():
                return
