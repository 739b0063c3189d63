"""The record loop: generate records concurrently, commit them batch by batch, stop cleanly.

Record ``i`` is made from seed row ``i % n`` as sample ``i // n``, so a relaunched worker that
resumes at ``records_generated`` regenerates exactly the records that were not committed, with
the same ids. A batch holds a contiguous run of record indexes; what is committed is what the
checkpoint counts, nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from plot_palette.errors import BudgetExceededError, ConflictError
from plot_palette.generation import GenerationStopped

if TYPE_CHECKING:
    from collections.abc import Callable

    from plot_palette.generation import GeneratedRecord, RecordEngine
    from plot_palette.worker.batches import BatchWriter
    from plot_palette.worker.checkpoint import Checkpoint, CheckpointStore

LOGGER = logging.getLogger(__name__)


class Outcome(StrEnum):
    """How a run of the loop ended."""

    COMPLETED = "COMPLETED"
    BUDGET_EXCEEDED = "BUDGET_EXCEEDED"
    INTERRUPTED = "INTERRUPTED"
    SUPERSEDED = "SUPERSEDED"


@dataclass
class LoopResult:
    """The outcome and the last committed checkpoint."""

    outcome: Outcome
    checkpoint: Checkpoint
    error: BaseException | None = None


@dataclass
class GenerationJob:
    """What the loop needs to know about the job."""

    job_id: str
    seeds: list[dict[str, Any]]
    record_count: int
    first_step: str


async def run_generation(
    job: GenerationJob,
    *,
    engine: RecordEngine,
    checkpoint: Checkpoint,
    etag: str | None,
    checkpoints: CheckpointStore,
    batches: BatchWriter,
    stop: asyncio.Event,
    interval: int = 50,
    concurrency: int = 16,
    drain_seconds: float = 60.0,
    on_commit: Callable[[Checkpoint, list[GeneratedRecord]], None] | None = None,
) -> LoopResult:
    """Generate until done, out of budget, stopped, or superseded by another worker.

    ``on_commit`` gets the checkpoint and the records it has just made count (their provenance
    says which model each step ran on and what it cost).
    """
    budget_hit = asyncio.Event()
    failures: list[BaseException] = []
    seeds = job.seeds
    while checkpoint.records_generated < job.record_count:
        if stop.is_set():
            return LoopResult(Outcome.INTERRUPTED, checkpoint)
        if budget_hit.is_set():
            return LoopResult(Outcome.BUDGET_EXCEEDED, checkpoint)
        start = checkpoint.records_generated
        end = min(start + interval, job.record_count)
        results = await _generate_batch(
            engine, seeds, range(start, end), concurrency, stop, budget_hit, failures, drain_seconds
        )

        kept: list[GeneratedRecord] = []
        while start + len(kept) in results:
            kept.append(results[start + len(kept)])
        if kept:
            try:
                etag = _commit(job, checkpoint, etag, kept, checkpoints, batches)
            except ConflictError as conflict:
                LOGGER.warning(
                    "another worker advanced the job: stopping", extra={"reason": str(conflict)}
                )
                return LoopResult(Outcome.SUPERSEDED, checkpoint)
            if on_commit is not None:
                on_commit(checkpoint, kept)
        if failures:
            return LoopResult(Outcome.INTERRUPTED, checkpoint, error=failures[0])
    return LoopResult(Outcome.COMPLETED, checkpoint)


async def _generate_batch(
    engine: RecordEngine,
    seeds: list[dict[str, Any]],
    indexes: range,
    concurrency: int,
    stop: asyncio.Event,
    budget_hit: asyncio.Event,
    failures: list[BaseException],
    drain_seconds: float,
) -> dict[int, GeneratedRecord]:
    """Generate one batch's records, at most ``concurrency`` at a time, started in index order."""
    results: dict[int, GeneratedRecord] = {}
    gate = asyncio.Semaphore(concurrency)

    async def make(index: int) -> None:
        async with gate:
            if stop.is_set() or budget_hit.is_set() or failures:
                return
            seed_index, sample_index = index % len(seeds), index // len(seeds)
            try:
                results[index] = await engine.generate(seeds[seed_index], seed_index, sample_index)
            except GenerationStopped:
                return
            except BudgetExceededError:
                budget_hit.set()
            except Exception as error:  # the first failure ends the job after this batch
                failures.append(error)

    tasks = [asyncio.create_task(make(index)) for index in indexes]
    await _wait_or_drain(tasks, stop, drain_seconds)
    return results


async def _wait_or_drain(
    tasks: list[asyncio.Task[None]], stop: asyncio.Event, drain_seconds: float
) -> None:
    """Wait for the batch; once stopped, give calls in flight ``drain_seconds`` to finish."""
    everything: asyncio.Future[Any] = asyncio.gather(*tasks)
    stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    await asyncio.wait([everything, stopped], return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if everything.done():
        return
    try:
        await asyncio.wait_for(asyncio.shield(everything), timeout=drain_seconds)
    except TimeoutError:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _commit(
    job: GenerationJob,
    checkpoint: Checkpoint,
    etag: str | None,
    kept: list[GeneratedRecord],
    checkpoints: CheckpointStore,
    batches: BatchWriter,
) -> str:
    """Write the batch, then advance the checkpoint that makes it count."""
    batches.write(
        checkpoint.current_batch,
        [item.record for item in kept],
        committed_batches=checkpoint.current_batch,
    )
    checkpoint.records_generated += len(kept)
    checkpoint.current_batch += 1
    checkpoint.tokens_used += sum(item.input_tokens + item.output_tokens for item in kept)
    checkpoint.cost_accumulated = round(
        checkpoint.cost_accumulated + sum(item.cost for item in kept), 10
    )
    checkpoint.resume_state = {
        "seed_data_index": checkpoint.records_generated % len(job.seeds),
        "template_step": job.first_step,
    }
    return checkpoints.save(checkpoint, etag)
