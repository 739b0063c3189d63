"""One worker run: load the job, resume from its checkpoint, generate, and report to Step Functions.

Outcomes map to callbacks the state machine routes on: COMPLETED and BUDGET_EXCEEDED are task
success (exports still run on what was made); a Spot interruption (SIGTERM) is task failure
``SpotInterrupted`` so the job is relaunched; a cancelled job reports ``JobCancelled``; a worker
superseded by its relaunch exits quietly; any other error fails the job with its own name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from dataclasses import dataclass
from typing import Any

from plot_palette.budget import BudgetGuard
from plot_palette.errors import PlotPaletteError
from plot_palette.generation import GeneratedRecord, RecordEngine
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, utc_now
from plot_palette.models import ConverseClient, ModelRegistry
from plot_palette.templates import load_template, parse_seed_data
from plot_palette.worker.batches import BatchWriter
from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore
from plot_palette.worker.heartbeat import Heartbeat
from plot_palette.worker.loop import GenerationJob, LoopResult, Outcome, run_generation
from plot_palette.worker.progress import ProgressReporter
from plot_palette.worker.settings import WorkerSettings
from plot_palette.worker.task_identity import task_arn

LOGGER = logging.getLogger(__name__)


@dataclass
class Clients:
    """The AWS clients a worker uses (built by the entrypoint, injected here)."""

    s3: Any
    dynamodb: Any
    sfn: Any
    bedrock: Any
    sns: Any | None = None


def run_worker(settings: WorkerSettings, clients: Clients) -> int:
    """Run the job to an outcome and report it; return the process exit code."""
    try:
        result, reporter = asyncio.run(_generate(settings, clients))
    except PlotPaletteError as error:
        LOGGER.error("job failed", extra={"job_id": settings.job_id, "error": type(error).__name__})
        _fail(clients, settings, type(error).__name__, str(error))
        return 1
    checkpoint = result.checkpoint
    summary = {
        "records": checkpoint.records_generated,
        "tokens": checkpoint.tokens_used,
        "cost_usd": checkpoint.cost_accumulated,
        "batches": checkpoint.current_batch,
    }
    if result.outcome is Outcome.SUPERSEDED:
        return 0
    if result.error is not None:
        _fail(clients, settings, type(result.error).__name__, str(result.error))
        return 1
    if result.outcome is Outcome.INTERRUPTED:
        if reporter.cancelled:
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
    settings: WorkerSettings, clients: Clients
) -> tuple[LoopResult, ProgressReporter]:
    config = ConfigStore(clients.s3, settings.bucket_name).get(settings.job_id)
    registry = ModelRegistry.load()
    template = load_template(config["template"], registry)
    seed_body = clients.s3.get_object(Bucket=settings.bucket_name, Key=config["seed_data_key"])[
        "Body"
    ].read()
    seeds = parse_seed_data(seed_body)

    checkpoints = CheckpointStore(clients.s3, settings.bucket_name, settings.job_id)
    checkpoint, etag = checkpoints.load()
    if checkpoint is None:
        checkpoint = Checkpoint(job_id=settings.job_id)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    jobs = JobsStore(clients.dynamodb, settings.jobs_table_name)
    jobs.update(
        settings.job_id,
        {
            "task_arn": task_arn(),
            "worker_started_at": utc_now(),
            "worker_vcpu": settings.worker_vcpu / 1024,
            "worker_memory_gb": settings.worker_memory_mib / 1024,
        },
    )
    batches = BatchWriter(clients.s3, settings.bucket_name, settings.job_id)
    reporter = ProgressReporter(
        dynamodb=clients.dynamodb,
        jobs=jobs,
        cost_table=settings.cost_tracking_table_name,
        job_id=settings.job_id,
        s3_requests=lambda: checkpoints.requests + batches.requests,
        # A relaunch carries on from the split the last run wrote (cost analytics by model).
        cost_by_model=jobs.get(settings.job_id).get("cost_by_model") or {},
    )

    def on_commit(committed: Checkpoint, records: list[GeneratedRecord]) -> None:
        reporter.on_commit(committed, records)
        if reporter.cancelled or (heartbeat is not None and heartbeat.lost.is_set()):
            stop.set()

    heartbeat = None
    if settings.task_token:
        heartbeat = Heartbeat(
            clients.sfn, settings.task_token, max(1.0, settings.heartbeat_seconds / 4)
        )
        heartbeat.beat()
        heartbeat.start()
    engine = RecordEngine(
        template,
        client=ConverseClient(clients.bedrock, max_concurrency=settings.worker_concurrency),
        registry=registry,
        budget=BudgetGuard(float(config["budget_usd"]), spent_usd=checkpoint.cost_accumulated),
        job_id=settings.job_id,
        job_seed=config["job_seed"],
        stop=stop,
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
        )
    finally:
        if heartbeat is not None:
            heartbeat.stop()
    if result.outcome is Outcome.INTERRUPTED and heartbeat is not None and heartbeat.lost.is_set():
        result.outcome = Outcome.SUPERSEDED
    if result.outcome is Outcome.INTERRUPTED and not reporter.cancelled:
        reporter.cancelled = jobs.status(settings.job_id) is JobStatus.CANCELLED
    return result, reporter


def _budget_exceeded(settings: WorkerSettings, clients: Clients, summary: dict[str, Any]) -> None:
    JobsStore(clients.dynamodb, settings.jobs_table_name).update(
        settings.job_id,
        {"status": JobStatus.BUDGET_EXCEEDED.value, "updated_at": utc_now()},
        unless_status=frozenset(status.value for status in FINAL_STATUSES),
    )
    if settings.budget_topic_arn and clients.sns is not None:
        clients.sns.publish(
            TopicArn=settings.budget_topic_arn,
            Subject="Plot Palette job stopped at its budget",
            Message=json.dumps({"job_id": settings.job_id, **summary}),
        )


def _succeed(clients: Clients, settings: WorkerSettings, output: dict[str, Any]) -> None:
    if settings.task_token:
        clients.sfn.send_task_success(taskToken=settings.task_token, output=json.dumps(output))


def _fail(clients: Clients, settings: WorkerSettings, error: str, cause: str) -> None:
    if settings.task_token:
        clients.sfn.send_task_failure(
            taskToken=settings.task_token, error=error, cause=cause[:32768]
        )
