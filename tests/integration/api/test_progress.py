"""Live progress (server-sent events through the local server) and partial downloads."""

from __future__ import annotations

import itertools
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plot_palette.client.api import ApiClient
from plot_palette.client.snapshots import download_so_far
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.progress_stream import fingerprint
from tests.integration.api.conftest import User
from tests.integration.api.test_endpoints import queue
from tests.integration.orchestration.helpers import wait_until, worker_of

pytestmark = pytest.mark.slow(seconds=50)


def read_events(response: requests.Response) -> Iterator[tuple[str, str]]:
    """``(event, data)`` pairs of a text/event-stream response, comments skipped."""
    event, data = "message", []
    for raw in response.iter_lines(decode_unicode=True):
        line = raw or ""
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
        elif line.startswith(":") or line.startswith("retry:"):
            continue
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].strip())


def stream(user: User, job_id: str) -> requests.Response:
    return user.session().get(f"{user.api_url}/jobs/{job_id}/events", stream=True, timeout=120)


def job_status(user: User, job_id: str) -> dict[str, Any]:
    body: dict[str, Any] = user.call("GET", f"/jobs/{job_id}").json()
    return body


def test_the_event_stream_follows_a_job_to_its_end(cloud: LocalCloud, alice: User) -> None:
    job_id = queue(alice, records=120)["job"]["job_id"]
    response = stream(alice, job_id)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-cache"
    dashboards: list[dict[str, Any]] = []
    bodies: list[str] = []
    ended = False
    for event, data in read_events(response):
        if event == "dashboard":
            dashboards.append(json.loads(data))
            bodies.append(fingerprint(data))
        elif event == "end":
            ended = True
            break
        else:
            raise AssertionError(f"unexpected event {event}: {data}")
    response.close()
    assert ended
    assert dashboards[-1]["job"]["status"] == "COMPLETED"
    assert dashboards[-1]["job"]["records_generated"] == 120
    generated = [d["job"]["records_generated"] for d in dashboards]
    assert generated == sorted(generated)
    # an event is sent only on change: no two consecutive events show the same page
    assert all(a != b for a, b in itertools.pairwise(bodies))


def test_a_finished_job_streams_once_and_ends(cloud: LocalCloud, alice: User) -> None:
    job_id = queue(alice, records=2)["job"]["job_id"]
    cloud.wait_for_execution(job_id)
    events = list(read_events(stream(alice, job_id)))
    assert [event for event, _ in events] == ["dashboard", "end"]


def test_the_stream_checks_the_token_and_the_owner(
    cloud: LocalCloud, alice: User, bob: User
) -> None:
    job_id = queue(alice, records=2)["job"]["job_id"]
    assert requests.get(f"{alice.api_url}/jobs/{job_id}/events", timeout=30).status_code == 401
    forged = alice.session("not-a-token").get(f"{alice.api_url}/jobs/{job_id}/events", timeout=30)
    assert forged.status_code == 401
    theirs = stream(bob, job_id)
    assert theirs.status_code == 404
    assert theirs.headers["Content-Type"] == "application/json"
    missing = stream(bob, "no-such-job")
    assert missing.status_code == 404
    assert theirs.json() == {"message": f"job {job_id} not found"}


def test_a_partial_download_of_a_running_job(cloud: LocalCloud, alice: User, bob: User) -> None:
    job_id = queue(alice, records=400)["job"]["job_id"]
    # hold the worker once some batches are committed, so "so far" is a fixed number
    task = wait_until(lambda: worker_of(cloud, job_id), timeout=120, what="the job's worker")
    wait_until(
        lambda: job_status(alice, job_id)["records_generated"] >= 100,
        timeout=120,
        what="two committed batches",
    )
    cloud.ecs.signal_task(task.arn, signal.SIGSTOP)
    try:
        so_far = job_status(alice, job_id)["records_generated"]
        assert alice.call("GET", f"/jobs/{job_id}/snapshot").json()["status"] == "NONE"
        assert bob.call("POST", f"/jobs/{job_id}/snapshot").status_code == 404
        asked = alice.call("POST", f"/jobs/{job_id}/snapshot")
        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] in ("PREPARING", "READY")
        ready = wait_until(
            lambda: (
                (s := alice.call("GET", f"/jobs/{job_id}/snapshot").json())["status"] == "READY"
                and s
            ),
            what="the snapshot",
        )
        assert bob.call("GET", f"/jobs/{job_id}/snapshot").status_code == 404
        body = requests.get(ready["url"], timeout=30)
        assert body.status_code == 200
        records = [json.loads(line) for line in body.text.splitlines()]
        assert len(records) == ready["records"] == so_far
        assert len({r["id"] for r in records}) == so_far
        assert ready["bytes"] == len(body.content)
    finally:
        cloud.ecs.signal_task(task.arn, signal.SIGCONT)
    cloud.wait_for_execution(job_id, timeout=300)
    assert job_status(alice, job_id)["status"] == "COMPLETED"
    view = alice.call("GET", f"/dashboard/{job_id}").json()
    final = requests.get(view["downloads"]["dataset.jsonl"], timeout=30).text.splitlines()
    assert len(final) == 400
    # what was downloaded early is part of the final dataset, record for record
    assert {json.dumps(r, sort_keys=True) for r in records} <= {
        json.dumps(json.loads(line), sort_keys=True) for line in final
    }


def test_a_queued_job_has_nothing_to_download_yet(cloud: LocalCloud, alice: User) -> None:
    # a job waiting for a concurrency slot, as the queue leaves it
    job_id = "waiting-for-a-slot"
    cloud.client("dynamodb").put_item(
        TableName=cloud.endpoints.jobs_table,
        Item={
            "job_id": {"S": job_id},
            "user_id": {"S": alice.sub},
            "status": {"S": "QUEUED"},
            "created_at": {"S": "2026-01-01T00:00:00+00:00"},
        },
    )
    asked = alice.call("POST", f"/jobs/{job_id}/snapshot")
    assert asked.status_code == 409
    assert asked.json() == {"message": f"job {job_id} is still queued: it has made no records yet"}
    assert alice.call("GET", f"/jobs/{job_id}/snapshot").json()["status"] == "NONE"


def test_the_cli_downloads_the_records_so_far(
    cloud: LocalCloud, alice: User, tmp_path: Path
) -> None:
    job_id = queue(alice, records=7)["job"]["job_id"]
    cloud.wait_for_execution(job_id)
    target = tmp_path / "so-far.jsonl"
    count = download_so_far(ApiClient(alice.api_url, alice.access_token), job_id, target)
    assert count == 7
    assert len({json.loads(line)["id"] for line in target.read_text().splitlines()}) == 7
