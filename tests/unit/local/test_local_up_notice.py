"""``plot-palette local up`` says that the local cloud keeps its state in memory only."""

from __future__ import annotations

import importlib
import signal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from plot_palette.local.cloud import Endpoints

# the module (``plot_palette.cli.app`` is also the name of the Typer app it defines)
cli = importlib.import_module("plot_palette.cli.app")


class StartedCloud:
    """Stands in for ``LocalCloud``: starts at once, then asks ``local up`` to stop."""

    def __init__(self, **_: Any) -> None:
        self.stopped = False

    def start(self) -> Endpoints:
        signal.raise_signal(signal.SIGTERM)  # what `local down` sends
        return Endpoints(
            pid=1,
            endpoint_url="http://127.0.0.1:1",
            model_endpoint_url="http://127.0.0.1:2",
            region="us-east-1",
            bucket="bucket",
            jobs_table="jobs",
            queue_table="queue",
            cost_tracking_table="costs",
            templates_table="templates",
            state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:job",
            cluster="cluster",
            log_dir="/tmp/logs",
        )

    def stop(self) -> None:
        self.stopped = True


def test_local_up_says_its_state_is_discarded_by_local_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLOT_PALETTE_HOME", str(tmp_path))
    monkeypatch.setattr(cli, "LocalCloud", StartedCloud)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        result = CliRunner().invoke(cli.app, ["local", "up"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert "in memory only: `local down` discards jobs, users, templates and files" in (
        result.output
    )
    assert result.output.rstrip().endswith("local cloud stopped")
