"""The record loop: generate records concurrently, commit them batch by batch, stop cleanly.

Record ``i`` is made from seed row ``i % n`` as sample ``i // n``, so a relaunched worker that
resumes at the checkpoint's ``next_record`` regenerates exactly the records that were not
settled, with the same ids. A batch holds a contiguous run of record indexes, each settled as
written or as failed (``record_failures``: one bad record never stops the job); what is
committed is what the checkpoint counts, nothing more.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from plot_palette.errors import BudgetExceededError, ConflictError, ThrottledError
from plot_palette.generation import GeneratedRecord, GenerationStopped
from plot_palette.worker.record_failures import (
    POISON_WEDGES,
    RECORD_ERRORS,
    FailedRecord,
    FailureStreak,
    settle_failures,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from plot_palette.generation import RecordEngine
    from plot_palette.generation.activity import RecordActivity
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
    record_attempts: int = 2,
    failure_streak: int = 25,
    activity: RecordActivity | None = None,
) -> LoopResult:
    """Generate until done, out of budget, stopped, or superseded by another worker.

    ``on_commit`` gets the checkpoint and the records it has just made count (their provenance
    says which model each step ran on and what it cost); the checkpoint counts the records
    given up on. A record is tried ``record_attempts`` times before it is settled as failed;
    ``failure_streak`` records failing in a row fail the job (0: never).
    """
    batch = _Batch(
        engine=engine,
        seeds=job.seeds,
        concurrency=concurrency,
        stop=stop,
        drain_seconds=drain_seconds,
        attempts=max(1, record_attempts),
        activity=activity,
    )
    streak = FailureStreak(failure_streak)
    while checkpoint.next_record < job.record_count:
        if stop.is_set():
            return LoopResult(Outcome.INTERRUPTED, checkpoint)
        if batch.budget_hit.is_set():
            return LoopResult(Outcome.BUDGET_EXCEEDED, checkpoint)
        start = checkpoint.next_record
        end = min(start + interval, job.record_count)
        results = await batch.generate(range(start, end), checkpoint.wedged)

        settled: list[GeneratedRecord | FailedRecord] = []
        while start + len(settled) in results:
            settled.append(results[start + len(settled)])
        if settled:
            try:
                etag = _commit(job, checkpoint, etag, settled, checkpoints, batches)
            except ConflictError as conflict:
                LOGGER.warning(
                    "another worker advanced the job: stopping", extra={"reason": str(conflict)}
                )
                return LoopResult(Outcome.SUPERSEDED, checkpoint)
            if activity is not None:
                activity.progressed()
            if on_commit is not None:
                on_commit(checkpoint, _written(settled))
        keeps_failing = streak.add(settled)
        if keeps_failing is not None:
            return LoopResult(Outcome.INTERRUPTED, checkpoint, error=keeps_failing)
        if batch.failures:
            return LoopResult(Outcome.INTERRUPTED, checkpoint, error=batch.failures[0])
    return LoopResult(Outcome.COMPLETED, checkpoint)


def _written(settled: list[GeneratedRecord | FailedRecord]) -> list[GeneratedRecord]:
    return [item for item in settled if not isinstance(item, FailedRecord)]


@dataclass
class _Batch:
    """Generates one batch's records at a time; remembers what ends the job between batches."""

    engine: RecordEngine
    seeds: list[dict[str, Any]]
    concurrency: int
    stop: asyncio.Event
    drain_seconds: float
    attempts: int
    activity: RecordActivity | None
    budget_hit: asyncio.Event = field(default_factory=asyncio.Event)
    failures: list[BaseException] = field(default_factory=list)

    def ending(self) -> bool:
        return self.stop.is_set() or self.budget_hit.is_set() or bool(self.failures)

    async def generate(
        self, indexes: range, wedged: dict[str, int]
    ) -> dict[int, GeneratedRecord | FailedRecord]:
        """Settle the records of ``indexes``, at most ``concurrency`` at a time, started in
        index order; a record missing from the result was left unsettled by a stop."""
        results: dict[int, GeneratedRecord | FailedRecord] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def settle(index: int) -> None:
            async with gate:
                if self.ending():
                    return
                wedges = wedged.get(str(index), 0)
                if wedges >= POISON_WEDGES:
                    LOGGER.warning("skipping a poison record", extra={"record": index})
                    results[index] = FailedRecord.poison(index, wedges)
                else:
                    outcome = await self._make(index)
                    if outcome is None:
                        return
                    results[index] = outcome
                if self.activity is not None:
                    self.activity.progressed()

        tasks = [asyncio.create_task(settle(index)) for index in indexes]
        await _wait_or_drain(tasks, self.stop, self.drain_seconds)
        return results

    async def _make(self, index: int) -> GeneratedRecord | FailedRecord | None:
        """The record, or its failure after every attempt; None when the job is ending."""
        seed_index, sample_index = index % len(self.seeds), index // len(self.seeds)
        for attempt in range(1, self.attempts + 1):
            try:
                return await self.engine.generate(self.seeds[seed_index], seed_index, sample_index)
            except GenerationStopped:
                return None
            except BudgetExceededError:
                self.budget_hit.set()
                return None
            except ThrottledError as error:  # capacity, not this record: the job's to handle
                self.failures.append(error)
                return None
            except RECORD_ERRORS as error:
                LOGGER.warning(
                    "record failed",
                    extra={
                        "record": index,
                        "attempt": attempt,
                        "error": type(error).__name__,
                        "reason": str(error)[:300],
                    },
                )
                if attempt == self.attempts:
                    return FailedRecord.of(index, error)
                if self.ending():
                    return None
            except Exception as error:  # the job's failure: it ends after this batch
                self.failures.append(error)
                return None
        return None  # pragma: no cover - the loop returns on its last attempt


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
    settled: list[GeneratedRecord | FailedRecord],
    checkpoints: CheckpointStore,
    batches: BatchWriter,
) -> str:
    """Write the batch (its written records), then advance the checkpoint that makes it count:
    the records written, the records given up on, and no more wedges below where it resumes."""
    kept = _written(settled)
    batches.write(
        checkpoint.current_batch,
        [item.record for item in kept],
        committed_batches=checkpoint.current_batch,
    )
    checkpoint.records_generated += len(kept)
    settle_failures(checkpoint, [item for item in settled if isinstance(item, FailedRecord)])
    checkpoint.wedged = {
        index: count
        for index, count in checkpoint.wedged.items()
        if int(index) >= checkpoint.next_record
    }
    checkpoint.current_batch += 1
    checkpoint.tokens_used += sum(item.input_tokens + item.output_tokens for item in kept)
    checkpoint.cost_accumulated = round(
        checkpoint.cost_accumulated + sum(item.cost for item in kept), 10
    )
    checkpoint.resume_state = {
        "seed_data_index": checkpoint.next_record % len(job.seeds),
        "template_step": job.first_step,
    }
    return checkpoints.save(checkpoint, etag)
