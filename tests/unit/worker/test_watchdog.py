"""The stall watchdog: which records it names, and that it fires once, only when nothing settles."""

from __future__ import annotations

import io
import threading
import time

from plot_palette.generation.activity import RecordActivity
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore
from plot_palette.worker.watchdog import Stall, StallWatchdog


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_render_in_progress_is_the_only_suspect() -> None:
    clock = Clock()
    activity = RecordActivity(clock)
    with activity.doing(0, 1, "calling haiku"), activity.doing(3, 1, "rendering step answer"):
        clock.now += 500
        (suspect,) = activity.suspects(stall_seconds=60)
    assert (suspect.seed_index, suspect.sample_index, suspect.seconds) == (3, 1, 500)
    assert suspect.doing == "rendering step answer"


def test_without_a_render_the_calls_outstanding_for_the_stall_time_are_named() -> None:
    clock = Clock()
    activity = RecordActivity(clock)
    with activity.doing(5, 0, "calling sonnet"):
        clock.now += 100
        with activity.doing(6, 0, "calling haiku"):
            clock.now += 30
            suspects = activity.suspects(stall_seconds=60)
    assert [(s.seed_index, s.seconds) for s in suspects] == [(5, 130)]
    assert activity.suspects(stall_seconds=60) == []  # both finished


def test_the_watchdog_fires_once_when_nothing_settles() -> None:
    activity = RecordActivity()
    stalls: list[Stall] = []
    fired = threading.Event()

    def on_stall(stall: Stall) -> None:
        stalls.append(stall)
        fired.set()

    watchdog = StallWatchdog(activity, 0.2, on_stall, poll_seconds=0.05)
    with activity.doing(2, 0, "rendering step q"):
        watchdog.start()
        assert fired.wait(60)
    watchdog.stop()
    (stall,) = stalls
    assert stall.idle_seconds >= 0.2
    assert "seed 2 sample 0 (rendering step q" in stall.describe()


def test_records_that_keep_settling_never_trip_the_watchdog() -> None:
    clock = Clock()
    activity = RecordActivity(clock)
    fired = threading.Event()
    watchdog = StallWatchdog(activity, 60, lambda _: fired.set(), poll_seconds=0.001)
    watchdog.start()
    for _ in range(200):  # ten minutes of a record settling every three seconds
        clock.now += 3
        activity.progressed()
        time.sleep(0.002)
    assert not fired.is_set()
    clock.now += 61  # then nothing for longer than the stall time
    assert fired.wait(60)
    watchdog.stop()


def test_a_stall_without_suspects_says_so() -> None:
    assert Stall(901, []).describe() == "no record settled for 901 s (no record named)"


class MemoryS3:
    """Just enough of S3 for one checkpoint: conditional puts by ETag."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        self.body, self.etag = checkpoint.to_json(), '"1"'

    def get_object(self, **_: object) -> dict[str, object]:
        return {"Body": io.BytesIO(self.body), "ETag": self.etag}

    def put_object(self, *, Body: bytes, IfMatch: str, **_: object) -> dict[str, str]:
        assert IfMatch == self.etag
        self.body, self.etag = Body, f'"{int(self.etag.strip(chr(34))) + 1}"'
        return {"ETag": self.etag}


def test_wedges_count_in_the_checkpoint_only_for_records_not_yet_settled() -> None:
    s3 = MemoryS3(Checkpoint(job_id="j", records_generated=8, records_failed=2, owner="me"))
    store = CheckpointStore(s3, "bucket", "j")
    assert store.mark_wedged("me", [9, 10, 12])
    assert store.mark_wedged("me", [12])
    assert Checkpoint.from_json(s3.body).wedged == {"10": 1, "12": 2}
    # a relaunch owns the job now: the old worker's word does not count
    assert not store.mark_wedged("someone-else", [10])
    assert Checkpoint.from_json(s3.body).wedged == {"10": 1, "12": 2}
