"""The local server's event stream: events only on change, heartbeats, an end, and errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from plot_palette.local.progress_stream import ProgressStream, fingerprint


def page(status: str, records: int, url: str = "https://b.s3/x?X-Amz-Date=1") -> str:
    return json.dumps({"job": {"status": status, "records": records}, "downloads": {"a": url}})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scripted(
    answers: list[tuple[int, str]], clock: Clock, step: float
) -> Iterator[tuple[int, str]]:
    for answer in answers:
        clock.now += step
        yield answer


def run(answers: list[tuple[int, str]], *, step: float = 1.0, **options: float) -> list[bytes]:
    clock = Clock()
    replies = scripted(answers, clock, step)
    stream = ProgressStream(
        lambda: next(replies), closing=threading.Event(), interval=0, clock=clock, **options
    )
    _, first = stream.first()
    return list(stream.events(first))


def kinds(chunks: list[bytes]) -> list[str]:
    return [chunk.decode().split("\n", 1)[0] for chunk in chunks]


def test_events_are_sent_on_change_only_and_the_stream_ends_when_the_job_is_final() -> None:
    chunks = run(
        [
            (200, page("RUNNING", 0)),
            (200, page("RUNNING", 0, url="https://b.s3/x?X-Amz-Date=2")),  # a re-signed link
            (200, page("RUNNING", 50)),
            (200, page("COMPLETED", 100)),
        ],
        heartbeat=100,
    )
    assert kinds(chunks) == [
        "retry: 3000",
        "event: dashboard",
        "event: dashboard",
        "event: dashboard",
        "event: end",
    ]
    assert json.loads(chunks[2].decode().split("data: ", 1)[1])["job"]["records"] == 50


def test_an_idle_stream_sends_heartbeats_and_stops_after_its_lifetime() -> None:
    same = [(200, page("RUNNING", 0))] * 40
    chunks = run(same, step=1.0, heartbeat=10, max_seconds=35)
    assert kinds(chunks).count(": heartbeat") == 3
    assert "event: end" not in kinds(chunks)  # the browser reconnects by itself


def test_a_failed_read_is_an_error_event_and_the_end_of_the_stream() -> None:
    chunks = run([(200, page("RUNNING", 0)), (404, '{"message": "job j not found"}')])
    assert kinds(chunks)[-1] == "event: error"
    assert b'"job j not found"' in chunks[-1]


def test_a_finished_job_is_one_event_then_the_end() -> None:
    assert kinds(run([(200, page("CANCELLED", 3))])) == [
        "retry: 3000",
        "event: dashboard",
        "event: end",
    ]


def test_closing_the_server_ends_open_streams() -> None:
    closing = threading.Event()
    closing.set()
    stream = ProgressStream(lambda: (200, page("RUNNING", 1)), closing=closing, interval=5)
    assert kinds(list(stream.events(page("RUNNING", 1)))) == ["retry: 3000", "event: dashboard"]


def test_only_link_signatures_are_ignored_when_comparing() -> None:
    assert fingerprint(page("RUNNING", 1, "https://h/a?sig=1")) == fingerprint(
        page("RUNNING", 1, "https://h/a?sig=2")
    )
    assert fingerprint(page("RUNNING", 1)) != fingerprint(page("RUNNING", 2))
