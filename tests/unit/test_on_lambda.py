"""The functions as they run on Lambda: traced with Powertools Tracer (the handler and each AWS
call become X-Ray subsegments), and their library loggers writing Powertools JSON.

Each runs in a subprocess set up as Lambda sets one up (a task root, a sampled trace header,
the X-Ray daemon's address), because both change process-wide state that the local cloud, where
every function shares one process, leaves alone. The "daemon" is a UDP socket here, and the
test reads what the X-Ray SDK sends it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"

HANDLER_RUN = """
import json, sys
from botocore.stub import Stubber
sys.path.insert(0, sys.argv[1])
import app

stub = Stubber(app.sfn)
stub.add_response(
    "start_execution",
    {"executionArn": "arn:aws:states:us-east-1:1:execution:jobs:j", "startDate": "2026-12-07"},
)
stub.activate()

class Context:
    function_name = "start-job"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:1:function:start-job"
    aws_request_id = "request-1"

record = {"dynamodb": {"NewImage": {"job_id": {"S": "j"}, "queue_key": {"S": "4#t#j"}}}}
print(json.dumps(app.lambda_handler([record], Context())))
"""


def _subsegments(daemon: socket.socket) -> list[dict[str, Any]]:
    found = []
    daemon.settimeout(0.5)  # the datagrams were sent before the process exited
    while True:
        try:
            datagram = daemon.recv(65536).decode()
        except TimeoutError:
            return found
        header, _, body = datagram.partition("\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        found.append(json.loads(body))


def lambda_environment(task_root: Path, daemon_port: int) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT / "src"),
        "LAMBDA_TASK_ROOT": str(task_root),
        "_X_AMZN_TRACE_ID": f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1",
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon_port}",
        "AWS_LAMBDA_FUNCTION_NAME": "start-job",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "POWERTOOLS_SERVICE_NAME": "plot-palette",
        "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:1:stateMachine:jobs",
        "WORKER_HEARTBEAT_SECONDS": "45",
    }


def run_as_lambda(script: str, task_root: Path) -> tuple[subprocess.CompletedProcess[str], Any]:
    """Run ``script`` with the start_job function's code, as Lambda would; the X-Ray "daemon"
    socket comes back with it (the caller reads and closes it)."""
    daemon = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    daemon.bind(("127.0.0.1", 0))
    run = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "functions" / "start_job")],
        env=lambda_environment(task_root, daemon.getsockname()[1]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return run, daemon


def test_a_function_traces_its_handler_and_its_aws_calls(tmp_path: Path) -> None:
    run, daemon = run_as_lambda(HANDLER_RUN, tmp_path)
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"started": ["j"], "duplicates": []}

    subsegments = _subsegments(daemon)
    daemon.close()
    assert {s["trace_id"] for s in subsegments} == {TRACE_ID}
    by_name = {s["name"]: s for s in subsegments}
    handler = by_name["## lambda_handler"]
    assert handler["annotations"]["ColdStart"] is True
    assert handler["annotations"]["Service"] == "plot-palette"
    # no response metadata: a handler's response holds user data
    assert "lambda_handler response" not in json.dumps(handler.get("metadata", {}))
    (call,) = [s for s in subsegments if s.get("namespace") == "aws"]
    assert call["aws"]["operation"] == "StartExecution"


LIBRARY_LOG = """
import logging, sys
sys.path.insert(0, sys.argv[1])
import app

app.logger.append_keys(correlation_id="corr-1")
# a logger of the library, created after the handler module set up its logging
logging.getLogger("plot_palette.jobs.late").warning('said "hi"', extra={"job_id": "j-1"})
"""


def test_library_loggers_write_the_functions_json_with_its_keys(tmp_path: Path) -> None:
    run, daemon = run_as_lambda(LIBRARY_LOG, tmp_path)
    daemon.close()
    (line,) = [json.loads(text) for text in run.stdout.splitlines() if "said" in text]
    assert line["message"] == 'said "hi"'
    assert line["level"] == "WARNING"
    assert line["service"] == "plot-palette"
    assert line["correlation_id"] == "corr-1"
    assert line["job_id"] == "j-1"
