"""Server-sent events of a job's dashboard, for the local API server.

API Gateway's HTTP APIs cannot hold a response open, so on AWS the dashboard polls (with
backoff). Locally the server can stream: it reads the dashboard once a second on the server side
and sends an event only when something the page shows has changed, so an open job page costs the
API one request per change instead of one per poll. Presigned links are re-signed on every read,
so they are left out of the comparison; a heartbeat comment keeps idle connections open, and the
stream ends with an ``end`` event once the job is final (or after ``max_seconds``, when the
browser reconnects by itself).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator

from plot_palette.jobs.status import JobStatus

EVENTS_PATH = re.compile(r"^/jobs/(?P<job_id>[^/]+)/events$")
_PRESIGNED_QUERY = re.compile(r'(https?://[^"?]+)\?[^"]*')


def fingerprint(body: str) -> str:
    """The dashboard without the signatures of its links (which change on every read)."""
    return _PRESIGNED_QUERY.sub(r"\1", body)


def _final(body: str) -> bool:
    try:
        status = json.loads(body)["job"]["status"]
    except (ValueError, KeyError, TypeError):
        return False
    return status in {s.value for s in JobStatus if s.final}


def sse(event: str, data: str) -> bytes:
    """One event in the text/event-stream format (``data`` is one line of JSON)."""
    return f"event: {event}\ndata: {data}\n\n".encode()


class ProgressStream:
    """Turns repeated reads of ``fetch() -> (status, body)`` into an event stream."""

    def __init__(
        self,
        fetch: Callable[[], tuple[int, str]],
        *,
        closing: threading.Event,
        interval: float = 1.0,
        heartbeat: float = 15.0,
        max_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._closing = closing
        self._interval = interval
        self._heartbeat = heartbeat
        self._max_seconds = max_seconds
        self._clock = clock

    def first(self) -> tuple[int, str]:
        """The first read, made before answering, so a 404 or 401 is an ordinary response."""
        return self._fetch()

    def events(self, first_body: str) -> Iterator[bytes]:
        """``dashboard`` events on change, ``: heartbeat`` comments, then ``end`` or ``error``."""
        started = last_sent = self._clock()
        yield b"retry: 3000\n\n"
        yield sse("dashboard", first_body)
        if _final(first_body):
            yield sse("end", "{}")
            return
        seen = fingerprint(first_body)
        while not self._closing.wait(self._interval):
            now = self._clock()
            if now - started >= self._max_seconds:
                return
            status, body = self._fetch()
            if status != 200:
                yield sse("error", body or json.dumps({"message": f"status {status}"}))
                return
            current = fingerprint(body)
            if current != seen:
                seen, last_sent = current, now
                yield sse("dashboard", body)
                if _final(body):
                    yield sse("end", "{}")
                    return
            elif now - last_sent >= self._heartbeat:
                last_sent = now
                yield b": heartbeat\n\n"
