"""Running real worker processes against a local cloud, with a Step Functions that records."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from plot_palette.jobs.spec import load_job_spec, parse_job_spec
from plot_palette.jobs.store import QueueStore
from plot_palette.jobs.submit import Stores, queue_job
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import FAULTS_ENV, Fault, encode
from plot_palette.local.iam_enforcement import IAM_ENV
from tests.integration.orchestration.helpers import ROOT, stores


class NoQueue(QueueStore):
    """Submit without queueing: the test runs the workers itself.

    The queue item goes to a partition the pipe's filter ignores (only ``QUEUED`` inserts
    start an execution), so the submission's transaction stays the real one.
    """

    def put_request(
        self, job_id: str, priority: int, created_at: str, *, user_id: str | None = None
    ) -> dict[str, Any]:
        request = super().put_request(job_id, priority, created_at, user_id=user_id)
        request["Put"]["Item"]["queue_id"] = {"S": "NOT-QUEUED"}
        return request


def no_queue(cloud: LocalCloud) -> Stores:
    """The stores of a submission that queues nothing (``NoQueue``)."""
    base = stores(cloud)
    queue = NoQueue(cloud.client("dynamodb"), cloud.endpoints.queue_table)
    return dataclasses.replace(base, queue=queue)


def queue_direct(cloud: LocalCloud, records: int, budget: float = 20.0) -> str:
    """A job with its config and seeds in S3 and its item QUEUED, but no execution."""
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    spec = parse_job_spec({**spec.model_dump(), "records": records, "budget_usd": budget})
    return str(queue_job(spec, template, seeds, user_id="u", stores=no_queue(cloud)).job["job_id"])


def start_worker(
    cloud: LocalCloud,
    job_id: str,
    log: Path,
    *,
    faults: list[Fault] | None = None,
    env: dict[str, str] | None = None,
    **extra: str,
) -> subprocess.Popen[bytes]:
    """``python -m plot_palette.worker`` (the faulty entrypoint when faults are given)."""
    environment = {
        **cloud.ecs._base_environment,
        "JOB_ID": job_id,
        "BUCKET_NAME": cloud.endpoints.bucket,
        "JOBS_TABLE_NAME": cloud.endpoints.jobs_table,
        "COST_TRACKING_TABLE_NAME": cloud.endpoints.cost_tracking_table,
        "CHECKPOINT_INTERVAL": "25",
        **(env or {}),
        **extra,
    }
    # As the local ECS runner starts it: acting as the worker's task role, faults if any.
    module = "plot_palette.local.local_worker"
    task_role = next(
        roles[0] for family, roles in cloud.iam.task_roles.items() if family.endswith("-worker")
    )
    principal = cloud.iam.principal(task_role)
    assert principal is not None, "the worker's task role is not defined"
    environment[IAM_ENV] = principal.to_env()
    if faults:
        environment[FAULTS_ENV] = encode(faults)
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", module], env=environment, stdout=output, stderr=output
        )


def log_lines(log: Path, job_id: str) -> list[dict[str, Any]]:
    """Every line the worker wrote, each parsed as JSON and checked to name the job."""
    records = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
        assert record.get("job_id") == job_id, record
        records.append(record)
    return records


def is_stopped(pid: int) -> bool:
    """True when the process is stopped (SIGSTOP): state ``T`` in ``/proc/<pid>/stat``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


def wait_until(predicate: Any, timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class RecordingStepFunctions:
    """A Step Functions endpoint (``AWS_ENDPOINT_URL_SFN``) that records and accepts callbacks."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                operation = str(self.headers.get("X-Amz-Target", "")).rsplit(".", 1)[-1]
                calls.append((operation, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingStepFunctions:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def callbacks(self) -> list[tuple[str, dict[str, Any]]]:
        """The calls that end the task (success or failure), in order."""
        return [call for call in self.calls if call[0] in ("SendTaskSuccess", "SendTaskFailure")]

    def environment(self, token: str) -> dict[str, str]:
        return {"TASK_TOKEN": token, "AWS_ENDPOINT_URL_SFN": self.url}
