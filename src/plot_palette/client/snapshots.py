"""Downloading what a running job has made so far: ask, wait until it is ready, fetch it.

The API prepares the file asynchronously (it can outlast one request), so the client asks once
and then reads the state until the answer to *its* request is ready.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from plot_palette.client.api import ApiClient, ApiError


def download_so_far(
    client: ApiClient,
    job_id: str,
    target: Path,
    *,
    timeout: float = 300,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Write the job's records so far to ``target``; return how many there are."""
    client.request_snapshot(job_id)
    deadline = clock() + timeout
    delay = 0.5
    while True:
        state = client.snapshot(job_id)
        if state["status"] == "READY":
            client.download(state["url"], target)
            return int(state["records"])
        if clock() >= deadline:
            raise ApiError(0, f"the records of job {job_id} were not ready within {timeout:.0f} s")
        sleep(delay)
        delay = min(delay * 2, 5.0)
