"""The command line, as a person uses it: local up/down, submit, watch, status, download, demo."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from plot_palette.cli import app
from plot_palette.local.cloud import running_instance
from tests.integration.orchestration.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "plot_palette.cli"]


def write_spec(directory: Path, records: int, budget: float = 1.0) -> Path:
    spec = directory / "job.yaml"
    spec.write_text(
        "name: cli test\n"
        f"template: {ROOT / 'src/plot_palette/templates/builtin/poem-questions.yaml'}\n"
        f"seed_data: {ROOT / 'sample-datasets/poetry/poems.jsonl'}\n"
        f"records: {records}\nbudget_usd: {budget}\n"
    )
    return spec


def children_running_worker(parent: int) -> list[int]:
    """PIDs of worker processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        # the worker as the local ECS runner starts it: as its task role, faults if armed
        if ppid == parent and b"plot_palette.local.local_worker" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def local_up(plot_palette_home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``plot-palette local up`` in the background, stopped at the end."""
    process = subprocess.Popen(
        [*CLI, "local", "up", "--model-latency-ms", "5"], env=os.environ.copy()
    )
    wait_until(lambda: (plot_palette_home / "local.json").exists(), what="local up")
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


PASSWORD = "Sturdy-Password-42!"


def sign_in(email: str = "cli@example.com") -> None:
    """Sign up, confirm with the code the local user pool sent, and log in, all by the CLI."""
    runner = CliRunner()
    signed_up = runner.invoke(app, ["signup", "--email", email, "--password", PASSWORD])
    assert signed_up.exit_code == 0, signed_up.output
    assert "local mailbox" in signed_up.output
    endpoints = running_instance()
    assert endpoints is not None
    code = requests.get(f"{endpoints.dashboard_url}/local/mailbox/{email}", timeout=10).json()
    wrong = runner.invoke(app, ["confirm", "--email", email, "--code", "not-it"])
    assert wrong.exit_code == 1
    assert "not the one we sent" in wrong.output
    confirmed = runner.invoke(app, ["confirm", "--email", email, "--code", code["code"]])
    assert confirmed.exit_code == 0, confirmed.output
    logged_in = runner.invoke(app, ["login", "--email", email, "--password", PASSWORD])
    assert logged_in.exit_code == 0, logged_in.output


def test_commands_need_a_session(local_up: subprocess.Popen[bytes], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["submit", str(write_spec(tmp_path, 3))])
    assert result.exit_code == 1
    assert "plot-palette login" in result.output


def test_a_wrong_password_is_refused(local_up: subprocess.Popen[bytes]) -> None:
    sign_in("pw@example.com")
    result = CliRunner().invoke(
        app, ["login", "--email", "pw@example.com", "--password", "Wrong-Password-1!"]
    )
    assert result.exit_code == 1
    assert "wrong email or password" in result.output


def test_a_job_through_the_cli(local_up: subprocess.Popen[bytes], tmp_path: Path) -> None:
    sign_in()
    runner = CliRunner()
    submitted = runner.invoke(app, ["submit", str(write_spec(tmp_path, 30))])
    assert submitted.exit_code == 0, submitted.output
    job_id = submitted.output.split("queued job ")[1].split()[0]

    watched = runner.invoke(app, ["watch", job_id])
    assert watched.exit_code == 0, watched.output
    assert f"job {job_id}: COMPLETED" in watched.output

    status = runner.invoke(app, ["status"])
    assert job_id in status.output and "30/30" in status.output

    downloaded = runner.invoke(app, ["download", job_id, "--out", str(tmp_path / "out")])
    assert downloaded.exit_code == 0, downloaded.output
    lines = (tmp_path / "out" / job_id / "dataset.jsonl").read_text().splitlines()
    assert len({json.loads(line)["id"] for line in lines}) == 30


def test_a_second_local_up_says_one_is_running(local_up: subprocess.Popen[bytes]) -> None:
    second = CliRunner().invoke(app, ["local", "up"])
    assert second.exit_code == 1
    assert "already running" in second.output
    down = CliRunner().invoke(app, ["local", "down"])
    assert down.exit_code == 0, down.output
    assert local_up.wait(timeout=30) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "does not exist"),
        ("name: x\nrecords: 5\n", "Field required"),
        ("name: x\ntemplate: t.yaml\nseed_data: s.jsonl\nrecords: -1\nbudget_usd: 1\n", "records"),
    ],
)
def test_a_bad_spec_is_one_line_and_exit_1(
    tmp_path: Path, plot_palette_home: Path, body: str | None, message: str
) -> None:
    spec = tmp_path / "job.yaml"
    if body is not None:
        spec.write_text(body)
    result = CliRunner().invoke(app, ["demo", str(spec)])
    assert result.exit_code == 1
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (plot_palette_home / "local.json").exists()


def test_submit_without_a_local_cloud_says_how_to_start_one(
    plot_palette_home: Path, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["submit", str(write_spec(tmp_path, 1))])
    assert result.exit_code == 1
    assert "plot-palette local up" in result.output


def test_an_invalid_template_queues_nothing(
    local_up: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text(
        "id: bad\nname: Bad\nsteps:\n  - id: s\n    model_tier: cheap\n"
        "    prompt: '{{ poem.__class__ }}'\n"
    )
    spec = tmp_path / "job.yaml"
    spec.write_text(
        f"name: x\ntemplate: bad.yaml\nseed_data: {ROOT / 'sample-datasets/poetry/poems.jsonl'}\n"
        "records: 3\nbudget_usd: 1\n"
    )
    sign_in()
    runner = CliRunner()
    result = runner.invoke(app, ["submit", str(spec)])
    assert result.exit_code == 1
    assert "__class__" in result.output
    assert "HTTP 400" in result.output
    listed = runner.invoke(app, ["status"])
    assert listed.exit_code == 0, listed.output
    assert "QUEUED" not in listed.output and "cli test" not in listed.output


def test_ctrl_c_on_demo_stops_every_worker(plot_palette_home: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, 5000, budget=100)
    demo = subprocess.Popen(
        [*CLI, "demo", str(spec), "--model-latency-ms", "50"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    workers = wait_until(lambda: children_running_worker(demo.pid), timeout=90, what="a worker")
    demo.send_signal(signal.SIGINT)
    output = demo.communicate(timeout=90)[0].decode()
    assert demo.returncode == 130, output
    assert "stopping the local cloud" in output
    wait_until(lambda: not any(alive(pid) for pid in workers), timeout=30, what="workers to exit")
    assert not (plot_palette_home / "local.json").exists()
