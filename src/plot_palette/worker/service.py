"""One worker run: load the job, resume from its checkpoint, generate, and report to Step Functions.

Outcomes map to callbacks the state machine routes on: COMPLETED and BUDGET_EXCEEDED are task
success (exports still run on what was made); a Spot interruption (SIGTERM) is task failure
``SpotInterrupted`` so the job is relaunched; a cancelled job reports ``JobCancelled``; a worker
superseded by its relaunch exits quietly; any other error fails the job with its own name.

Every way out reports: a stop signal that came before the run began (``StopSignals``, installed
by the entrypoint before its imports) is a ``SpotInterrupted``; a job cancelled before this worker
registered is a ``JobCancelled`` with nothing generated; and an error nobody expected (a botocore
error loading the config, a bug) is a task failure named after its class, so the state machine
fails the job at once with the reason instead of waiting for the heartbeat timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import uuid
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from plot_palette.budget import BudgetGuard, SpendLedger
from plot_palette.errors import PlotPaletteError
from plot_palette.generation import GeneratedRecord, RecordEngine
from plot_palette.generation.activity import RecordActivity
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, utc_now
from plot_palette.models import ConverseClient, ModelRegistry
from plot_palette.observability import emit, metrics
from plot_palette.templates import load_template, parse_seed_data
from plot_palette.worker.batches import BatchWriter
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore
from plot_palette.worker.heartbeat import Heartbeat
from plot_palette.worker.loop import GenerationJob, LoopResult, Outcome, run_generation
from plot_palette.worker.progress import ProgressReporter
from plot_palette.worker.settings import WorkerSettings
from plot_palette.worker.signals import StopSignals
from plot_palette.worker.task_identity import task_arn
from plot_palette.worker.watchdog import Stall, StallWatchdog

LOGGER = logging.getLogger(__name__)
MAX_ERROR = 256  # SendTaskFailure's limits
MAX_CAUSE = 32768
EXIT_STALLED = 3
STALLED = "WorkerStalled"  # the state machine relaunches on it, like a Spot interruption


def exit_now(code: int) -> None:
    """End the process at once: a stalled worker's loop is stuck and cannot unwind."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


@dataclass
class Clients:
    """The AWS clients a worker uses (built by the entrypoint, injected here)."""

    s3: Any
    dynamodb: Any
    sfn: Any
    bedrock: Any
    sns: Any | None = None


def run_worker(
    settings: WorkerSettings,
    clients: Clients,
    signals: StopSignals | None = None,
) -> int:
    """Run the job to an outcome and report it; return the process exit code.

    ``signals`` are the stop signals the entrypoint has been remembering since it started.
    """
    try:
        return _run(settings, clients, signals or StopSignals())
    except PlotPaletteError as error:
        LOGGER.error("job failed", extra={"error": type(error).__name__, "reason": str(error)})
        _fail(clients, settings, type(error).__name__, str(error))
        return 1
    except Exception as error:
        name = _error_name(error)
        LOGGER.exception("worker failed on an unexpected error", extra={"error": name})
        _fail(clients, settings, name, str(error) or name)
        return 1


def _error_name(error: Exception) -> str:
    """An AWS error by its code (``AccessDenied``, ``NoSuchBucket``: botocore names a class only
    for the codes a service models), anything else by its type."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def _run(settings: WorkerSettings, clients: Clients, signals: StopSignals) -> int:
    result, cancelled = asyncio.run(_generate(settings, clients, signals))
    checkpoint = result.checkpoint
    summary = {
        "records": checkpoint.records_generated,
        "tokens": checkpoint.tokens_used,
        "cost_usd": checkpoint.cost_accumulated,
        "batches": checkpoint.current_batch,
    }
    LOGGER.info("worker finished", extra={"outcome": result.outcome.value, **summary})
    if result.outcome is Outcome.SUPERSEDED:
        return 0
    if result.error is not None:
        _fail(clients, settings, type(result.error).__name__, str(result.error))
        return 1
    if result.outcome is Outcome.INTERRUPTED:
        if cancelled:
            _fail(clients, settings, "JobCancelled", "the job was cancelled")
        else:
            _fail(clients, settings, "SpotInterrupted", json.dumps(summary))
        return 0
    status = JobStatus(result.outcome.value)
    if status is JobStatus.BUDGET_EXCEEDED:
        _budget_exceeded(settings, clients, summary)
    _succeed(clients, settings, {"status": status.value, **summary})
    return 0


async def _generate(
    settings: WorkerSettings, clients: Clients, signals: StopSignals
) -> tuple[LoopResult, bool]:
    """Run the job; return the loop's result and whether the job was cancelled."""
    stop = asyncio.Event()
    detach = signals.attach(asyncio.get_running_loop(), stop)
    try:
        return await _run_job(settings, clients, stop, signals)
    finally:
        detach()


def _not_started(
    settings: WorkerSettings, jobs: JobsStore, checkpoints: CheckpointStore
) -> tuple[LoopResult, bool]:
    """A run stopped (or a job cancelled) before generating: nothing made, nothing claimed."""
    checkpoint, _ = checkpoints.load()
    cancelled = jobs.status(settings.job_id) is JobStatus.CANCELLED
    LOGGER.info("stopped before generating", extra={"cancelled": cancelled})
    result = LoopResult(Outcome.INTERRUPTED, checkpoint or Checkpoint(job_id=settings.job_id))
    return result, cancelled


async def _run_job(
    settings: WorkerSettings, clients: Clients, stop: asyncio.Event, signals: StopSignals
) -> tuple[LoopResult, bool]:
    # Until the generation loop awaits, a signal is seen on ``signals`` (``stop`` is set by a
    # callback the event loop has not run yet).
    jobs = JobsStore(clients.dynamodb, settings.jobs_table_name)
    checkpoints = CheckpointStore(clients.s3, settings.bucket_name, settings.job_id)
    if signals.received.is_set():  # signalled while starting: report before loading anything
        return _not_started(settings, jobs, checkpoints)
    config = ConfigStore(clients.s3, settings.bucket_name).get(settings.job_id)
    registry = ModelRegistry.load()
    template = load_template(config["template"], registry)
    seed_body = clients.s3.get_object(Bucket=settings.bucket_name, Key=config["seed_data_key"])[
        "Body"
    ].read()
    seeds = parse_seed_data(seed_body)
    if signals.received.is_set():
        return _not_started(settings, jobs, checkpoints)

    # Registered only while the job is not cancelled: a cancel that came before this worker
    # started wins, and the worker reports it without generating anything (a missing job is a
    # NotFoundError from _not_started).
    registered = jobs.update(
        settings.job_id,
        {
            "task_arn": task_arn(),
            "worker_started_at": utc_now(),
            "worker_vcpu": settings.worker_vcpu / 1024,
            "worker_memory_gb": settings.worker_memory_mib / 1024,
        },
        unless_status=frozenset({JobStatus.CANCELLED.value}),
    )
    if not registered:
        return _not_started(settings, jobs, checkpoints)

    heartbeat = None
    if settings.task_token:
        heartbeat = Heartbeat(
            clients.sfn, settings.task_token, max(1.0, settings.heartbeat_seconds / 4)
        )
        heartbeat.beat()
        if heartbeat.lost.is_set():  # the state machine gave up on this worker: claim nothing
            return LoopResult(Outcome.SUPERSEDED, Checkpoint(job_id=settings.job_id)), False
    # The claim fences every older worker of this job out (checkpoint.py, batches.py).
    owner = uuid.uuid4().hex
    checkpoint, etag = checkpoints.claim(owner)
    LOGGER.info(
        "claimed the job", extra={"owner": owner, "records_generated": checkpoint.records_generated}
    )
    # EMF lines on stdout: CloudWatch turns them into PlotPalette metrics (observability.py).
    worker_metrics = metrics("worker")
    this_task = task_arn()
    if checkpoints.took_over:  # an earlier worker of this job claimed it: this is a relaunch
        emit(
            worker_metrics,
            {"WorkerRelaunches": (1, MetricUnit.Count)},
            message="worker relaunched",
            job_id=settings.job_id,
            task_arn=this_task,
        )
    batches = BatchWriter(
        clients.s3, settings.bucket_name, settings.job_id, checkpoints=checkpoints, owner=owner
    )
    # Spend is recorded as calls settle; the guard starts from the job's recorded spend, which
    # counts leases left open by dead predecessors as spent (budget/ledger.py).
    ledger = SpendLedger(clients.dynamodb, settings.jobs_table_name, settings.job_id)
    budget = BudgetGuard(float(config["budget_usd"]), spent_usd=ledger.open(), record=ledger)
    reporter = ProgressReporter(
        dynamodb=clients.dynamodb,
        jobs=jobs,
        cost_table=settings.cost_tracking_table_name,
        job_id=settings.job_id,
        s3_requests=lambda: checkpoints.requests + batches.requests,
        flush_spend=budget.flush,
    )

    model_client = ConverseClient(clients.bedrock, max_concurrency=settings.worker_concurrency)
    reported = {"calls": 0, "throttled": 0}  # the client's counters at the last commit

    def on_commit(committed: Checkpoint, records: list[GeneratedRecord]) -> None:
        reporter.on_commit(committed, records)
        calls, throttles = (
            model_client.calls - reported["calls"],
            model_client.throttled - reported["throttled"],
        )
        reported.update(calls=model_client.calls, throttled=model_client.throttled)
        emit(
            worker_metrics,
            {
                "RecordsWritten": (len(records), MetricUnit.Count),
                "ModelCalls": (calls, MetricUnit.Count),
                "ModelThrottles": (throttles, MetricUnit.Count),
                "ModelCostUsd": (sum(r.cost for r in records), MetricUnit.NoUnit),
            },
            # like every worker log line: what it is, the job and the task
            message="worker metrics",
            job_id=settings.job_id,
            task_arn=this_task,
        )
        lost = budget.lost or (heartbeat is not None and heartbeat.lost.is_set())
        if reporter.cancelled or lost:
            stop.set()

    activity = RecordActivity()

    def on_stall(stall: Stall) -> None:
        """Stuck: stop vouching for this worker, name the suspects, report, and exit."""
        LOGGER.error("worker stalled", extra={"stall": stall.describe()})
        if heartbeat is not None:
            heartbeat.stop()
        suspects = [s.sample_index * len(seeds) + s.seed_index for s in stall.suspects]
        try:
            checkpoints.mark_wedged(owner, suspects)
        except Exception as error:  # the relaunch goes ahead without the suspects named
            LOGGER.error("could not record the stuck records", extra={"error": _error_name(error)})
        _fail(clients, settings, STALLED, stall.describe())
        exit_now(EXIT_STALLED)

    watchdog = StallWatchdog(activity, settings.stall_seconds, on_stall)
    if heartbeat is not None:
        heartbeat.start()
    watchdog.start()
    if signals.received.is_set():
        stop.set()
    engine = RecordEngine(
        template,
        client=model_client,
        registry=registry,
        budget=budget,
        job_id=settings.job_id,
        job_seed=config["job_seed"],
        stop=stop,
        activity=activity,
    )
    try:
        result = await run_generation(
            GenerationJob(
                job_id=settings.job_id,
                seeds=seeds,
                record_count=int(config["record_count"]),
                first_step=template.steps[0].id,
            ),
            engine=engine,
            checkpoint=checkpoint,
            etag=etag,
            checkpoints=checkpoints,
            batches=batches,
            stop=stop,
            interval=settings.checkpoint_interval,
            concurrency=settings.worker_concurrency,
            drain_seconds=settings.drain_seconds,
            on_commit=on_commit,
            record_attempts=settings.record_attempts,
            failure_streak=settings.failure_streak,
            activity=activity,
        )
    finally:
        watchdog.stop()
        if heartbeat is not None:
            heartbeat.stop()
        budget.close()
    superseded = budget.lost or (heartbeat is not None and heartbeat.lost.is_set())
    if result.outcome is Outcome.INTERRUPTED and superseded:
        result.outcome = Outcome.SUPERSEDED
    if result.outcome is Outcome.INTERRUPTED and not reporter.cancelled:
        reporter.cancelled = jobs.status(settings.job_id) is JobStatus.CANCELLED
    return result, reporter.cancelled


def _budget_exceeded(settings: WorkerSettings, clients: Clients, summary: dict[str, Any]) -> None:
    jobs = JobsStore(clients.dynamodb, settings.jobs_table_name)
    jobs.update(
        settings.job_id,
        {"status": JobStatus.BUDGET_EXCEEDED.value, "updated_at": utc_now()},
        unless_status=frozenset(status.value for status in FINAL_STATUSES),
    )
    if settings.budget_topic_arn and clients.sns is not None:
        # What the job has spent is its recorded spend (every settled call), not the committed
        # records' cost the summary carries.
        spent = jobs.get(settings.job_id).get("cost_usd", summary["cost_usd"])
        clients.sns.publish(
            TopicArn=settings.budget_topic_arn,
            Subject="Plot Palette job stopped at its budget",
            Message=json.dumps({"job_id": settings.job_id, **summary, "cost_usd": spent}),
        )


def _succeed(clients: Clients, settings: WorkerSettings, output: dict[str, Any]) -> None:
    if settings.task_token:
        clients.sfn.send_task_success(taskToken=settings.task_token, output=json.dumps(output))


def _fail(clients: Clients, settings: WorkerSettings, error: str, cause: str) -> None:
    report_failure(clients.sfn, settings.task_token, error, cause)


def report_failure(sfn: Any, token: str | None, error: str, cause: str) -> bool:
    """Fail the task (``SendTaskFailure``); log, never raise, when even that cannot be sent.

    The worker is on its way out: the heartbeat timeout is then the state machine's only news.
    """
    if not token:
        return False
    try:
        sfn.send_task_failure(taskToken=token, error=error[:MAX_ERROR], cause=cause[:MAX_CAUSE])
    except Exception as failure:
        LOGGER.error(
            "could not report to Step Functions",
            extra={"error": error, "report_error": type(failure).__name__},
        )
        return False
    LOGGER.info("reported task failure", extra={"error": error})
    return True
