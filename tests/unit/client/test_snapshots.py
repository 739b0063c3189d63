"""Downloading records so far: ask once, wait for the answer, then fetch it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from plot_palette.client.api import ApiError
from plot_palette.client.snapshots import download_so_far


class FakeClient:
    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states
        self.asked = 0
        self.downloaded: list[tuple[str, Path]] = []

    def request_snapshot(self, job_id: str) -> dict[str, Any]:
        self.asked += 1
        return {"status": "PREPARING"}

    def snapshot(self, job_id: str) -> dict[str, Any]:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def download(self, url: str, target: Path) -> Path:
        self.downloaded.append((url, target))
        return target


def test_it_waits_with_growing_pauses_then_downloads(tmp_path: Path) -> None:
    client = FakeClient(
        [{"status": "PREPARING"}] * 4 + [{"status": "READY", "url": "https://x/y", "records": 7}]
    )
    pauses: list[float] = []
    count = download_so_far(client, "j", tmp_path / "f.jsonl", sleep=pauses.append)  # type: ignore[arg-type]
    assert count == 7
    assert client.asked == 1
    assert client.downloaded == [("https://x/y", tmp_path / "f.jsonl")]
    assert pauses == [0.5, 1.0, 2.0, 4.0]


def test_it_gives_up_after_the_timeout(tmp_path: Path) -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    client = FakeClient([{"status": "PREPARING"}])
    with pytest.raises(ApiError, match="not ready within 10 s"):
        download_so_far(
            client,  # type: ignore[arg-type]
            "j",
            tmp_path / "f.jsonl",
            timeout=10,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert client.downloaded == []
