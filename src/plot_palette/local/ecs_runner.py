"""The local ECS runner: RunTask starts the worker as a subprocess, StopTask sends SIGTERM.

It answers with task descriptions in the ECS API's shape (``taskArn``, ``lastStatus``,
``capacityProviderName``, ``overrides``…), keeps the capacity provider strategy it was given, and
behaves like Fargate on stop: SIGTERM, then SIGKILL once the container's ``StopTimeout`` passes.
``signal_task`` lets chaos tests interrupt a worker the way Spot does, and
``fail_next_run_tasks`` makes RunTask refuse as ECS does when Fargate (Spot) capacity runs out
or the API throttles; ``fail_next_starts`` makes a task stop before its container runs, as when
the image cannot be pulled. Every stop is announced as EventBridge's "ECS Task State Change"
(``task_stopped_event``) through ``on_stopped``, with ECS's ``stopCode`` and ``stoppedReason``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from plot_palette.errors import LocalCloudError
from plot_palette.local.faults import FAULT_LOG_ENV, FAULTS_ENV, METER_ENV, Fault, encode
from plot_palette.local.iam_enforcement import IAM_ENV, LocalIam
from plot_palette.local.moto_seams import RunTaskRefused

LOGGER = logging.getLogger(__name__)

# What ECS says when Fargate has no capacity for a task (a RunTask ``failures`` reason).
CAPACITY_UNAVAILABLE = (
    "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone"
)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGKILL the worker if the local cloud dies, so no worker is orphaned.

    Linux sends this signal when the *thread* that forked the child ends, so workers are always
    forked by ``_Spawner``'s long-lived thread, never by a short-lived request thread.
    """
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class LocalTask:
    """One worker process and what ECS would say about it."""

    arn: str
    cluster_arn: str
    definition_arn: str
    capacity_provider: str | None
    request: dict[str, Any]
    process: subprocess.Popen[bytes]
    log_path: Path
    stop_timeout: float
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    stopped_at: datetime | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None

    @property
    def last_status(self) -> str:
        return "RUNNING" if self.process.poll() is None else "STOPPED"

    def describe(self) -> dict[str, Any]:
        # A container that never started has no exit code.
        exit_code = None if self.stop_code == "TaskFailedToStart" else self.process.poll()
        description: dict[str, Any] = {
            "taskArn": self.arn,
            "clusterArn": self.cluster_arn,
            "taskDefinitionArn": self.definition_arn,
            "lastStatus": self.last_status,
            "desiredStatus": "RUNNING" if self.stopped_reason is None else "STOPPED",
            "launchType": "FARGATE",
            "createdAt": self.created_at,
            "overrides": self.request.get("overrides", {}),
            "startedBy": self.request.get("startedBy", ""),
            "containers": [
                {
                    "name": "worker",
                    "lastStatus": self.last_status,
                    **({"exitCode": exit_code} if exit_code is not None else {}),
                }
            ],
        }
        if self.capacity_provider:
            description["capacityProviderName"] = self.capacity_provider
        if self.stopped_at:
            description["stoppedAt"] = self.stopped_at
            description["stoppedReason"] = self.stopped_reason or "Essential container exited"
            description["stopCode"] = self.stop_code or "EssentialContainerExited"
        return description


@dataclass
class _RunTaskFault:
    """RunTask refusals still to come, for requests on one capacity provider (or on any)."""

    remaining: int
    capacity_provider: str | None
    refusal: RunTaskRefused


def task_stopped_event(task: dict[str, Any], region: str, account_id: str) -> dict[str, Any]:
    """The "ECS Task State Change" event EventBridge delivers when a task stops."""
    detail = {
        key: value.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(value, datetime) else value
        for key, value in task.items()
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [task["taskArn"]],
        "detail": detail,
    }


def _capacity_provider(request: dict[str, Any]) -> str | None:
    """The provider a strategy places the task on (the heaviest weight), as ECS would."""
    strategy = request.get("capacityProviderStrategy") or []
    if not strategy:
        return None
    return str(max(strategy, key=lambda item: item.get("weight", 0))["capacityProvider"])


class _Spawner:
    """One long-lived thread that starts every worker process (see ``_die_with_parent``)."""

    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="ecs-spawner", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._requests.get()) is not None:
            start, result = item
            try:
                result.set_result(start())
            except Exception as error:
                result.set_exception(error)

    def spawn(self, start: Callable[[], Any]) -> Any:
        result: Future[Any] = Future()
        self._requests.put((start, result))
        return result.result()

    def close(self) -> None:
        self._requests.put(None)


class EcsRunner:
    """Runs task definitions from the template as local processes."""

    def __init__(
        self,
        *,
        entrypoint: list[str],
        base_environment: dict[str, str],
        log_dir: Path,
        region: str,
        account_id: str,
        stop_timeout: float | None = None,
    ) -> None:
        self._entrypoint = entrypoint
        self._base_environment = base_environment
        self._log_dir = log_dir
        self._region = region
        self._account = account_id
        self._stop_timeout_override = stop_timeout
        self._definitions: dict[str, dict[str, Any]] = {}
        self._tasks: dict[str, LocalTask] = {}
        self._lock = threading.Lock()
        self._spawner = _Spawner()
        self._armed_faults: dict[str | None, list[dict[str, str]]] = {}
        self._run_task_faults: list[_RunTaskFault] = []
        self._paused_starts = 0
        self._failed_starts: list[str] = []
        self._silenced_jobs: set[str] = set()
        self._closing = False
        self.requests: list[dict[str, Any]] = []
        # Called with the "ECS Task State Change" event of every task that stops (the local
        # cloud hands it to its EventBridge rules).
        self.on_stopped: Callable[[dict[str, Any]], None] | None = None
        # Tests that count real spend per job set this: every worker then tags its model calls
        # with its job id (``plot_palette.local.faults.METER_HEADER``).
        self.meter_model_calls = False
        self.refused: list[dict[str, Any]] = []
        # The account's roles: a task whose task role is defined there acts as that role.
        self.iam: LocalIam | None = None

    def fail_next_run_tasks(
        self,
        count: int,
        *,
        capacity_provider: str | None = None,
        throttled: bool = False,
    ) -> None:
        """Refuse the next ``count`` RunTask requests (on ``capacity_provider``, or on any).

        By default ECS's answer to a Fargate capacity shortage: HTTP 200, no task, a failure
        whose reason is ``CAPACITY_UNAVAILABLE``. With ``throttled`` the call fails with
        ``ThrottlingException`` instead, as the API does past its rate limit. Requests on other
        providers run as usual, so a fallback to on-demand ``FARGATE`` can be tested with
        ``fail_next_run_tasks(n, capacity_provider="FARGATE_SPOT")``.
        """
        refusal = (
            RunTaskRefused("Rate exceeded", error_code="ThrottlingException")
            if throttled
            else RunTaskRefused(CAPACITY_UNAVAILABLE)
        )
        with self._lock:
            self._run_task_faults.append(_RunTaskFault(count, capacity_provider, refusal))

    def pause_next_run_tasks(self, count: int = 1) -> None:
        """Start the next ``count`` workers stopped (SIGSTOP), before they have done anything.

        A worker that has not yet registered its task on the job, as on a slow Fargate start;
        resume it with ``signal_task(arn, SIGCONT)``.
        """
        with self._lock:
            self._paused_starts += count

    def fail_next_starts(self, count: int = 1, *, reason: str | None = None) -> None:
        """Let the next ``count`` RunTask requests succeed but their tasks stop before the
        container runs (``stopCode`` ``TaskFailedToStart``), as Fargate does when the image is
        not in the repository yet or the task's network cannot be set up."""
        reason = reason or (
            "CannotPullContainerError: pull image manifest has been retried 1 time(s): "
            "failed to resolve ref worker:latest: not found"
        )
        with self._lock:
            self._failed_starts.extend([reason] * count)

    def lose_stop_events(self, job_id: str) -> None:
        """Deliver no stop event for this job's tasks: EventBridge's delivery is best effort,
        and the heartbeat timeout must still find a worker whose stop went unannounced."""
        with self._lock:
            self._silenced_jobs.add(job_id)

    def _refusal(self, request: dict[str, Any]) -> RunTaskRefused | None:
        provider = _capacity_provider(request)
        with self._lock:
            for fault in self._run_task_faults:
                if fault.remaining > 0 and fault.capacity_provider in (None, provider):
                    fault.remaining -= 1
                    return fault.refusal
        return None

    def arm_faults(
        self, faults: list[Fault], *, job_id: str | None = None, log_path: Path | None = None
    ) -> None:
        """Start a task with ``faults`` armed (and its call sites logged to ``log_path``).

        Each call arms one task: the next task of ``job_id``, or the next task of any job.
        Tasks started later run the plain entrypoint again.
        """
        armed = {FAULTS_ENV: encode(faults)}
        if log_path is not None:
            armed[FAULT_LOG_ENV] = str(log_path)
        with self._lock:
            self._armed_faults.setdefault(job_id, []).append(armed)

    def register_task_definition(self, arn: str, spec: dict[str, Any]) -> None:
        """Remember a task definition's containers (environment, stop timeout) by ARN and family."""
        self._definitions[arn] = spec
        family = arn.rsplit("/", 1)[-1].split(":", 1)[0]
        self._definitions[family] = spec

    def _definition(self, name: str) -> tuple[str, dict[str, Any]]:
        for key in (name, name.rsplit("/", 1)[-1], name.rsplit("/", 1)[-1].split(":", 1)[0]):
            if key in self._definitions:
                return key, self._definitions[key]
        raise LocalCloudError(f"RunTask: unknown task definition {name}")

    def run_task(self, request: dict[str, Any]) -> dict[str, Any]:
        """Start the task's essential container as a subprocess with its environment overrides.

        Raises ``RunTaskRefused`` while ``fail_next_run_tasks`` has refusals left for it.
        """
        self.requests.append(request)
        refusal = self._refusal(request)
        if refusal is not None:
            self.refused.append(request)
            raise refusal
        definition_name, definition = self._definition(request["taskDefinition"])
        container = definition["ContainerDefinitions"][0]
        environment = dict(self._base_environment)
        environment.update(
            {env["Name"]: str(env["Value"]) for env in container.get("Environment", [])}
        )
        for override in request.get("overrides", {}).get("containerOverrides", []):
            if override.get("name") == container["Name"]:
                environment.update(
                    {env["name"]: env["value"] for env in override.get("environment", [])}
                )
        cluster = request.get("cluster", "default")
        cluster_name = cluster.rsplit("/", 1)[-1]
        cluster_arn = f"arn:aws:ecs:{self._region}:{self._account}:cluster/{cluster_name}"
        task_id = uuid.uuid4().hex
        arn = f"arn:aws:ecs:{self._region}:{self._account}:task/{cluster_name}/{task_id}"
        environment["ECS_TASK_ARN"] = arn
        entrypoint = self._entrypoint
        with self._lock:
            job_id = environment.get("JOB_ID")
            failed_start = self._failed_starts.pop(0) if self._failed_starts else None
            queue = self._armed_faults.get(job_id) or self._armed_faults.get(None)
            armed = queue.pop(0) if queue and failed_start is None else None
        if self.meter_model_calls and job_id:
            armed = {**(armed or {}), METER_ENV: job_id}
        if armed is not None:
            environment.update(armed)
        principal = self.iam.principal(definition.get("TaskRoleArn")) if self.iam else None
        if principal is not None:  # the worker acts as its task role, as on Fargate
            environment[IAM_ENV] = principal.to_env()
        if armed is not None or principal is not None:
            entrypoint = [
                "plot_palette.local.local_worker" if part == "plot_palette.worker" else part
                for part in entrypoint
            ]
        if failed_start is not None:  # the container never runs: a process that does nothing
            entrypoint = [sys.executable, "-S", "-c", "pass"]
        self._log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self._log_dir / f"worker-{task_id}.log"

        def start() -> subprocess.Popen[bytes]:
            with log_path.open("wb") as log:
                return subprocess.Popen(  # the entrypoint comes from worker/Dockerfile
                    entrypoint,
                    env=environment,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,  # prctl only: safe between fork and exec
                )

        process = self._spawner.spawn(start)
        with self._lock:
            pause, self._paused_starts = self._paused_starts > 0, max(0, self._paused_starts - 1)
        if pause:
            os.kill(process.pid, signal.SIGSTOP)
        provider = _capacity_provider(request)
        stop_timeout = self._stop_timeout_override or float(container.get("StopTimeout", 30))
        task = LocalTask(
            arn=arn,
            cluster_arn=cluster_arn,
            definition_arn=definition_name,
            capacity_provider=provider,
            request=request,
            process=process,
            log_path=log_path,
            stop_timeout=stop_timeout,
        )
        if failed_start is not None:
            task.stopped_reason, task.stop_code = failed_start, "TaskFailedToStart"
        with self._lock:
            self._tasks[arn] = task
        threading.Thread(target=self._reap, args=(task,), daemon=True).start()
        return task.describe()

    def _reap(self, task: LocalTask) -> None:
        task.process.wait()
        if task.stopped_at is None:
            task.stopped_at = datetime.now(UTC)
        if task.stop_code is None:
            task.stop_code = "EssentialContainerExited"
            task.stopped_reason = "Essential container in task exited"
        with self._lock:
            lost = task.request.get("startedBy") in self._silenced_jobs
        if self.on_stopped is not None and not self._closing and not lost:
            try:
                self.on_stopped(task_stopped_event(task.describe(), self._region, self._account))
            except Exception:  # EventBridge delivery is best effort; the heartbeat still guards
                LOGGER.exception("task %s: stop event not delivered", task.arn)

    def describe_tasks(self, cluster: str, tasks: list[str]) -> list[dict[str, Any]]:
        """Describe tasks by ARN (or id)."""
        return [task.describe() for task in self._find(tasks)]

    def _find(self, names: list[str]) -> list[LocalTask]:
        with self._lock:
            return [
                task
                for task in self._tasks.values()
                if task.arn in names or task.arn.rsplit("/", 1)[-1] in names
            ]

    def stop_task(self, cluster: str, task: str, reason: str | None) -> dict[str, Any]:
        """SIGTERM the task, and SIGKILL it when its stop timeout passes, as Fargate does."""
        found = self._find([task])
        if not found:
            raise LocalCloudError(f"StopTask: no task {task}")
        local = found[0]
        local.stopped_reason = reason or "Task stopped by user"
        local.stop_code = "UserInitiated"
        self.signal_task(local.arn, signal.SIGTERM)
        threading.Thread(target=self._kill_after_timeout, args=(local,), daemon=True).start()
        return local.describe()

    def _kill_after_timeout(self, task: LocalTask) -> None:
        try:
            task.process.wait(timeout=task.stop_timeout)
        except subprocess.TimeoutExpired:
            self.signal_task(task.arn, signal.SIGKILL)

    def signal_task(self, arn: str, signum: int) -> bool:
        """Send a signal to a running task.

        For chaos tests SIGTERM and SIGKILL are a Spot interruption (its notice, or the reclaim
        after the notice): unless the task was already being stopped, its stop is announced
        with ``stopCode`` ``SpotInterruption``, as Fargate does.
        """
        found = self._find([arn])
        if not found or found[0].process.poll() is not None:
            return False
        if signum in (signal.SIGTERM, signal.SIGKILL) and found[0].stop_code is None:
            found[0].stop_code = "SpotInterruption"
            found[0].stopped_reason = "Your Spot Task was interrupted."
        try:
            os.kill(found[0].process.pid, signum)
        except ProcessLookupError:
            return False
        return True

    def running(self) -> list[LocalTask]:
        """Tasks whose process is still alive."""
        with self._lock:
            return [task for task in self._tasks.values() if task.process.poll() is None]

    def all_tasks(self) -> list[LocalTask]:
        """Every task started so far."""
        with self._lock:
            return list(self._tasks.values())

    def shutdown(self, grace: float = 10.0) -> None:
        """Stop every worker: SIGTERM, wait up to ``grace`` seconds, then SIGKILL."""
        self._closing = True  # the cloud is going away: no stop events for its rules
        running = self.running()
        for task in running:
            self.signal_task(task.arn, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for task in running:
            try:
                task.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                task.process.kill()
                task.process.wait()
        self._spawner.close()


def dockerfile_entrypoint(dockerfile: Path) -> list[str]:
    """Read the worker image's ENTRYPOINT (exec form) so local runs start exactly that command.

    ``python`` is replaced by this interpreter, since the local cloud runs the worker from the
    same environment it runs in.
    """
    import json

    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        if line.strip().upper().startswith("ENTRYPOINT"):
            command = json.loads(line.strip()[len("ENTRYPOINT") :].strip())
            if command and Path(command[0]).name.startswith("python"):
                command[0] = sys.executable
            return [str(part) for part in command]
    raise LocalCloudError(f"{dockerfile} has no exec-form ENTRYPOINT")
