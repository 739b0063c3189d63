"""Fixtures for integration tests: moto's server with our seams, and the whole local cloud."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from plot_palette.local import moto_seams


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """moto's server on a random loopback port, executing state machines; yields its URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    monkeypatch.setenv("MOTO_PORT", str(port))
    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    requests.post(
        f"{url}/moto-api/config",
        json={"stepfunctions": {"execute_state_machine": True}},
        timeout=10,
    )
    try:
        yield url
    finally:
        moto_seams.detach()
        requests.post(
            f"{url}/moto-api/config",
            json={"stepfunctions": {"execute_state_machine": False}},
            timeout=10,
        )
        server.stop()


@pytest.fixture
def client_for(moto_server: str):  # type: ignore[no-untyped-def]
    """Build boto3 clients for the moto server."""

    def build(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(service, endpoint_url=moto_server, region_name="us-east-1")

    return build


@pytest.fixture
def plot_palette_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the local cloud's state file and worker logs inside the test's temp dir."""
    home = tmp_path / "home"
    monkeypatch.setenv("PLOT_PALETTE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Integration tests must never reach a real AWS endpoint."""
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
