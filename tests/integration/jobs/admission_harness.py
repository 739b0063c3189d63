"""The real job state machine on moto, with admission wired in-process and faults injectable.

moto runs ``statemachines/job.asl.json`` itself. Its Lambda invokes reach ``invoke`` here
(through ``moto_seams``): the admission function is ``handle_admission_event`` with this
harness's clients, the export and quality functions answer at once. Its ECS RunTask reaches
``run_task``, which records the worker's task token; a test plays the worker by answering it.

Faults are injected at the client boundary: ``FaultyClient`` wraps a boto3 client and, for the
calls a ``Fault`` matches, fails before the call applies, applies it and loses the response
(the call is repeated, as the SDK's retry would, and the caller sees the repeat's outcome),
applies it and crashes (``Crash``), or errors on every attempt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from plot_palette.jobs.admission import SLOTS_KEY, Admission, SlotReport, slot_report
from plot_palette.jobs.admission_events import SCHEDULED, handle_admission_event
from plot_palette.jobs.store import JobsStore, QueueStore, utc_now
from plot_palette.local import moto_seams
from tests.integration.jobs.test_stores import create_tables

ROOT = Path(__file__).resolve().parents[3]
DEADLINE_S = 120.0


class Crash(Exception):
    """The function's process died here; its invocation ends in an error."""


@dataclass
class Fault:
    """One fault: which calls it hits, how, and how often."""

    operation: str
    kind: str  # "before" | "lost" | "crash_after" | "error" | "call_first"
    match: Callable[[dict[str, Any]], bool] = lambda request: True
    times: int = 1
    first: Callable[[], Any] | None = None  # for "call_first": run before the call applies
    # for "lost": what the SDK's retry hears, when moto would not answer it as AWS does (moto
    # accepts a second SendTaskSuccess for a task already closed; AWS answers TaskTimedOut)
    retry_answer: str | None = None
    fired: int = 0


class FaultyClient:
    """A boto3 client whose calls pass through the faults injected into it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _due(self, operation: str, request: dict[str, Any]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                due = fault.operation == operation and fault.fired < fault.times
                if due and fault.match(request):
                    fault.fired += 1
                    return fault
        return None

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name in ("get_paginator", "get_waiter") or not callable(method):
            return method  # paginated reads and attributes pass through unfaulted

        def call(**request: Any) -> Any:
            fault = self._due(name, request)
            if fault is None:
                return method(**request)
            if fault.kind == "before":
                raise EndpointConnectionError(endpoint_url="http://injected-fault")
            if fault.kind == "error":
                raise ClientError(
                    {"Error": {"Code": "InternalServerError", "Message": "injected"}}, name
                )
            if fault.kind == "call_first":
                assert fault.first is not None
                fault.first()
                return method(**request)
            if fault.kind == "lost":
                with contextlib.suppress(ClientError):
                    method(**request)  # applied; its response never arrives
                if fault.retry_answer is not None:
                    raise ClientError(
                        {"Error": {"Code": fault.retry_answer, "Message": "retry"}}, name
                    )
                return method(**request)  # the SDK's retry: its outcome is what the caller sees
            if fault.kind == "crash_after":
                method(**request)
                raise Crash(f"crashed after {name}")
            raise AssertionError(f"unknown fault kind {fault.kind}")

        return call


def takes_slot(request: dict[str, Any]) -> bool:
    return request.get("Key") == SLOTS_KEY and "if_not_exists(#count" in request.get(
        "UpdateExpression", ""
    )


def releases_slot(request: dict[str, Any]) -> bool:
    return request.get("Key") == SLOTS_KEY and "REMOVE #holder" in request.get(
        "UpdateExpression", ""
    )


def claims_grant(request: dict[str, Any]) -> bool:
    return "granted_at = :now" in request.get("UpdateExpression", "")


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Harness:
    """One moto server running the real job state machine with admission in-process."""

    client_for: Callable[[str], Any]
    limit: int = 1
    release_attempts: int | None = None
    workers: dict[str, str] = field(default_factory=dict)
    invocations: list[tuple[str, dict[str, Any], bool]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dynamodb = self.client_for("dynamodb")
        self.sfn = self.client_for("stepfunctions")
        create_tables(self.dynamodb)
        self.faulty_dynamodb = FaultyClient(self.dynamodb)
        self.faulty_sfn = FaultyClient(self.sfn)
        self.state_machine_arn = self._state_machine()
        self.admission = Admission(
            dynamodb=self.faulty_dynamodb,
            sfn=self.faulty_sfn,
            queue_table="QueueTable",
            limit=self.limit,
            jobs_table="JobsTable",
            state_machine_arn=self.state_machine_arn,
        )
        self.jobs = JobsStore(self.faulty_dynamodb, "JobsTable")
        moto_seams.attach(ecs=self, lambda_=self)

    # -- provisioning -------------------------------------------------------------------

    def _role(self) -> str:
        return str(
            self.client_for("iam").create_role(
                RoleName=f"r{time.time_ns()}", AssumeRolePolicyDocument="{}"
            )["Role"]["Arn"]
        )

    def _function(self, name: str, role: str) -> str:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("app.py", "")
        return str(
            self.client_for("lambda").create_function(
                FunctionName=name,
                Runtime="python3.13",
                Role=role,
                Handler="app.lambda_handler",
                Code={"ZipFile": archive.getvalue()},
            )["FunctionArn"]
        )

    def _state_machine(self) -> str:
        role = self._role()
        # RunTask runs only registered, ACTIVE task definitions, as ECS does.
        self.client_for("ecs").register_task_definition(
            family="w", containerDefinitions=[{"name": "worker", "image": "w", "memory": 512}]
        )
        substitutions = {
            "JobsTableName": "JobsTable",
            "QueueTableName": "QueueTable",
            "ClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/plot-palette",
            "WorkerTaskFamily": "w",
            "SubnetA": "subnet-a",
            "SubnetB": "subnet-b",
            "SubnetC": "subnet-c",
            "WorkerSecurityGroupId": "sg-1",
            "ExportFunctionArn": self._function("export", role),
            "QualityFunctionArn": self._function("quality", role),
            "AdmissionFunctionArn": self._function("admission", role),
            "MaxWorkerRelaunches": "2",
        }
        text = (ROOT / "statemachines" / "job.asl.json").read_text(encoding="utf-8")
        for key, value in substitutions.items():
            text = text.replace("${" + key + "}", value)
        definition = json.loads(text)
        if self.release_attempts is not None:
            _shorten_release_retries(definition["States"], self.release_attempts)
        return str(
            self.sfn.create_state_machine(
                name="plot-palette-jobs", definition=json.dumps(definition), roleArn=role
            )["stateMachineArn"]
        )

    # -- the seams moto calls -----------------------------------------------------------

    def invoke(self, function_name: str, event: Any) -> tuple[str, bool, str]:
        """The Lambda functions the state machine invokes."""
        if function_name == "admission":
            try:
                result = handle_admission_event(event, admission=self.admission, jobs=self.jobs)
            except Exception as error:  # the function fails as Lambda reports it
                self.invocations.append((function_name, event, False))
                payload = {"errorType": type(error).__name__, "errorMessage": str(error)}
                return json.dumps(payload), True, ""
            self.invocations.append((function_name, event, True))
            return json.dumps(result), False, ""
        if function_name == "export":
            job_id, kind = event["job_id"], event["format"]
            written = {
                "format": kind,
                "key": f"jobs/{job_id}/exports/{kind}",
                "records": 1,
                "manifest_key": None,
            }
            return json.dumps(written), False, ""
        return json.dumps({}), False, ""

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """ECS RunTask of a worker: remember its task token; the test plays the worker."""
        env = {
            item["name"]: item["value"]
            for item in request["overrides"]["containerOverrides"][0]["environment"]
        }
        self.workers[env["JOB_ID"]] = env["TASK_TOKEN"]
        return {
            "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/plot-palette/{env['JOB_ID']}",
            "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/plot-palette",
            "lastStatus": "PROVISIONING",
        }

    def describe_tasks(self, cluster: str, tasks: list[str]) -> list[dict[str, Any]]:
        return [{"taskArn": task, "lastStatus": "RUNNING"} for task in tasks]

    def stop_task(self, cluster: str, task: str, reason: str | None) -> dict[str, Any]:
        return {"taskArn": task, "lastStatus": "RUNNING", "desiredStatus": "STOPPED"}

    # -- driving jobs -------------------------------------------------------------------

    def submit(self, job_id: str, priority: int = 5) -> str:
        """Create a job, queue it and start its execution, as the API and start_job do."""
        created = utc_now()
        self.dynamodb.put_item(
            TableName="JobsTable",
            Item={
                "job_id": {"S": job_id},
                "user_id": {"S": "u"},
                "status": {"S": "QUEUED"},
                "created_at": {"S": created},
            },
        )
        key = QueueStore(self.dynamodb, "QueueTable").enqueue(job_id, priority, created)
        self.dynamodb.update_item(
            TableName="JobsTable",
            Key={"job_id": {"S": job_id}},
            UpdateExpression="SET queue_key = :key",
            ExpressionAttributeValues={":key": {"S": key}},
        )
        self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn,
            name=job_id,
            input=json.dumps(
                {
                    "job_id": job_id,
                    "queue_key": key,
                    "limits": {"heartbeat_seconds": 600, "on_demand_fallback": False},
                }
            ),
        )
        return key

    def queue_item(self, job_id: str) -> dict[str, Any] | None:
        items = self.dynamodb.query(
            TableName="QueueTable",
            KeyConditionExpression="queue_id = :q",
            ExpressionAttributeValues={":q": {"S": "QUEUED"}},
            ConsistentRead=True,
        )["Items"]
        return next((item for item in items if item["job_id"]["S"] == job_id), None)

    def wait_parked(self, job_id: str) -> dict[str, Any]:
        item: dict[str, Any] = wait_until(
            lambda: (item := self.queue_item(job_id)) and "task_token" in item and item,
            f"{job_id} parked",
        )
        return item

    def worker_token(self, job_id: str, timeout: float = DEADLINE_S) -> str:
        """Wait for the job's worker to be started (the job was admitted and marked running)."""
        token: str = wait_until(lambda: self.workers.get(job_id), f"{job_id}'s worker", timeout)
        return token

    def worker_waited_on(self, job_id: str) -> str:
        """The worker's token once the state machine waits on it.

        moto sets up a task's heartbeat watch only after RunTask returns; a callback that comes
        before is stored but never noticed, and the task hangs until its heartbeat times out.
        A real worker takes far longer to start. A heartbeat is accepted once the watch is set.
        """
        token = self.worker_token(job_id)

        def watched() -> bool:
            try:
                self.sfn.send_task_heartbeat(taskToken=token)
            except self.sfn.exceptions.InvalidToken:
                return False
            return True

        wait_until(watched, f"{job_id}'s worker task waited on")
        return token

    def finish(self, job_id: str) -> None:
        """The worker reports the job done."""
        self.sfn.send_task_success(
            taskToken=self.worker_waited_on(job_id),
            output=json.dumps({"status": "COMPLETED", "records_generated": 1}),
        )

    def worker_fails(self, job_id: str, error: str) -> None:
        """The worker reports an error (``JobCancelled`` after a cancel's StopTask)."""
        self.sfn.send_task_failure(
            taskToken=self.worker_waited_on(job_id), error=error, cause=error
        )

    def execution_status(self, job_id: str) -> str:
        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
        return str(self.sfn.describe_execution(executionArn=arn)["status"])

    def wait_ended(self, job_id: str) -> str:
        status: str = wait_until(
            lambda: (status := self.execution_status(job_id)) != "RUNNING" and status,
            f"{job_id}'s execution to end",
        )
        return status

    def history(self, job_id: str) -> list[str]:
        arn = self.state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
        events = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in events
            if "stateEnteredEventDetails" in event
        ]

    def job(self, job_id: str) -> dict[str, Any]:
        return JobsStore(self.dynamodb, "JobsTable").get(job_id)

    def tick(self, *, grant_grace: float = 0.0, release_grace: float = 0.0) -> dict[str, Any]:
        """The one-minute schedule's event, with grace periods a test can afford to wait."""
        admission = dataclasses.replace(
            self.admission,
            grant_grace_seconds=grant_grace,
            release_grace_seconds=release_grace,
        )
        return handle_admission_event(
            {"detail-type": SCHEDULED, "source": "aws.events"}, admission=admission, jobs=self.jobs
        )

    def report(self) -> SlotReport:
        clean = dataclasses.replace(self.admission, dynamodb=self.dynamodb, sfn=self.sfn)
        return slot_report(clean)


def _shorten_release_retries(states: dict[str, Any], attempts: int) -> None:
    """Shrink the release states' retry budget so a test need not wait it out: the path (retry
    until given up, then the state's Catch) is the deployed one, only shorter."""
    for state in states.values():
        payload = state.get("Parameters", {}).get("Payload", {})
        if state.get("Type") == "Task" and payload.get("action") == "release":
            for retry in state.get("Retry", []):
                retry.update({"IntervalSeconds": 1, "MaxAttempts": attempts, "BackoffRate": 1})
                retry.pop("MaxDelaySeconds", None)
                retry.pop("JitterStrategy", None)
