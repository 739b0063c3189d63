"""The record loop with an in-memory engine and stores: batching, resume, stop, budget, races."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from plot_palette.errors import (
    BudgetExceededError,
    ConflictError,
    ModelInvocationError,
    TemplateValidationError,
    ThrottledError,
)
from plot_palette.generation import GenerationStopped
from plot_palette.records import record_id
from plot_palette.worker.checkpoint import Checkpoint
from plot_palette.worker.loop import GenerationJob, Outcome, run_generation
from plot_palette.worker.record_failures import RecordsKeepFailingError

SEEDS = [{"n": n} for n in range(7)]


@dataclass
class Made:
    record: dict[str, Any]
    input_tokens: int = 10
    output_tokens: int = 5
    cost: float = 0.001


@dataclass
class FakeEngine:
    """Generates record i after ``delay`` seconds; hooks let a test fail or stop at a record."""

    stop: asyncio.Event
    delay: float = 0.0
    slow: dict[int, float] = field(default_factory=dict)
    budget_after: int | None = None
    fail_at: int | None = None
    # index -> how many times it fails before it succeeds (a large count: it always fails)
    failing: dict[int, int] = field(default_factory=dict)
    failure: type[Exception] = ModelInvocationError
    attempts: dict[int, int] = field(default_factory=dict)
    stop_after: int | None = None
    made: list[int] = field(default_factory=list)
    started: int = 0

    async def generate(self, seed: dict[str, Any], seed_index: int, sample_index: int) -> Made:
        index = sample_index * len(SEEDS) + seed_index
        if self.stop.is_set():
            raise GenerationStopped
        if self.budget_after is not None and self.started >= self.budget_after:
            raise BudgetExceededError("no budget left")
        self.started += 1
        if self.stop_after is not None and self.started > self.stop_after:
            self.stop.set()
        await asyncio.sleep(self.slow.get(index, self.delay))
        if index == self.fail_at:
            raise RuntimeError("the ledger's table is gone")
        self.attempts[index] = self.attempts.get(index, 0) + 1
        if self.attempts[index] <= self.failing.get(index, 0):
            raise self.failure(f"record {index} failed")
        self.made.append(index)
        return Made(
            {"id": record_id("job", seed_index, sample_index), "index": index, "seed": seed}
        )


class MemoryCheckpoints:
    def __init__(self, conflict_at_save: int | None = None) -> None:
        self.saved: list[Checkpoint] = []
        self.conflict_at_save = conflict_at_save

    def save(self, checkpoint: Checkpoint, etag: str | None) -> str:
        if self.conflict_at_save is not None and len(self.saved) == self.conflict_at_save:
            raise ConflictError("advanced elsewhere")
        self.saved.append(Checkpoint(**{**checkpoint.__dict__}))
        return f"etag-{len(self.saved)}"


class MemoryBatches:
    def __init__(self) -> None:
        self.batches: dict[int, list[dict[str, Any]]] = {}

    def write(self, number: int, records: list[dict[str, Any]], *, committed_batches: int) -> None:
        assert number == committed_batches
        self.batches[number] = records


def run(
    engine: FakeEngine, total: int, checkpoint: Checkpoint | None = None, **options: Any
) -> Any:
    checkpoints = options.pop("checkpoints", MemoryCheckpoints())
    batches = MemoryBatches()
    result = asyncio.run(
        run_generation(
            GenerationJob(job_id="job", seeds=SEEDS, record_count=total, first_step="question"),
            engine=engine,  # type: ignore[arg-type]
            checkpoint=checkpoint or Checkpoint(job_id="job"),
            etag=None,
            checkpoints=checkpoints,  # type: ignore[arg-type]
            batches=batches,  # type: ignore[arg-type]
            stop=engine.stop,
            **options,
        )
    )
    indexes = [
        record["index"] for number in sorted(batches.batches) for record in batches.batches[number]
    ]
    return result, batches, checkpoints, indexes


def make_engine(**kwargs: Any) -> FakeEngine:
    return FakeEngine(stop=asyncio.Event(), **kwargs)


def test_all_records_in_numbered_batches_of_the_interval() -> None:
    result, batches, checkpoints, indexes = run(make_engine(), 120, interval=50, concurrency=8)
    assert result.outcome is Outcome.COMPLETED
    assert [len(batches.batches[n]) for n in sorted(batches.batches)] == [50, 50, 20]
    assert indexes == list(range(120))
    final = checkpoints.saved[-1]
    assert (final.records_generated, final.current_batch, final.tokens_used) == (120, 3, 1800)
    assert final.cost_accumulated == pytest.approx(0.12)
    assert final.resume_state == {"seed_data_index": 120 % 7, "template_step": "question"}


def test_a_relaunch_resumes_after_the_committed_records() -> None:
    start = Checkpoint(
        job_id="job", records_generated=50, current_batch=1, tokens_used=750, cost_accumulated=0.05
    )
    engine = make_engine()
    result, batches, _, indexes = run(engine, 120, checkpoint=start, interval=50)
    assert result.outcome is Outcome.COMPLETED
    assert sorted(engine.made) == list(range(50, 120))
    assert sorted(batches.batches) == [1, 2]
    assert indexes == list(range(50, 120))
    assert result.checkpoint.records_generated == 120


def test_stop_lets_calls_in_flight_finish_and_commits_a_contiguous_partial_batch() -> None:
    engine = make_engine(delay=0.01, stop_after=20)
    result, _, checkpoints, indexes = run(engine, 200, interval=50, concurrency=4)
    assert result.outcome is Outcome.INTERRUPTED
    assert indexes == list(range(len(indexes)))
    assert 20 <= len(indexes) <= 24
    assert checkpoints.saved[-1].records_generated == len(indexes)


def test_calls_that_outlive_the_drain_deadline_are_discarded_unbilled() -> None:
    engine = make_engine(delay=0.01, stop_after=10, slow={5: 5.0})
    result, _, checkpoints, indexes = run(engine, 50, interval=50, concurrency=4, drain_seconds=0.3)
    assert result.outcome is Outcome.INTERRUPTED
    assert indexes == [0, 1, 2, 3, 4]
    assert checkpoints.saved[-1].tokens_used == 5 * 15
    assert checkpoints.saved[-1].cost_accumulated == pytest.approx(0.005)


def test_budget_exhaustion_stops_with_what_was_made() -> None:
    result, _, checkpoints, indexes = run(
        make_engine(budget_after=73), 200, interval=50, concurrency=1
    )
    assert result.outcome is Outcome.BUDGET_EXCEEDED
    assert indexes == list(range(73))
    assert checkpoints.saved[-1].records_generated == 73


def test_a_worker_whose_checkpoint_was_advanced_elsewhere_stops_as_superseded() -> None:
    result, _, _, _ = run(
        make_engine(), 200, interval=50, checkpoints=MemoryCheckpoints(conflict_at_save=1)
    )
    assert result.outcome is Outcome.SUPERSEDED
    assert result.checkpoint.records_generated <= 100


def test_a_job_failure_ends_the_run_after_committing_the_records_before_it() -> None:
    """An error that is not one record's (storage, the ledger, a bug) stops the job."""
    result, _, _, indexes = run(make_engine(fail_at=60), 200, interval=50, concurrency=1)
    assert result.outcome is Outcome.INTERRUPTED
    assert isinstance(result.error, RuntimeError)
    assert indexes == list(range(60))


@pytest.mark.parametrize("failure", [ModelInvocationError, TemplateValidationError])
def test_a_record_that_keeps_failing_is_settled_as_failed_and_the_job_goes_on(
    failure: type[Exception],
) -> None:
    engine = make_engine(failing={60: 99, 61: 1}, failure=failure)
    result, _, checkpoints, indexes = run(engine, 120, interval=50, concurrency=4)
    assert result.outcome is Outcome.COMPLETED
    assert indexes == [index for index in range(120) if index != 60]
    assert engine.attempts[60] == 2  # tried twice, then given up on
    assert engine.attempts[61] == 2  # failed once, made on its second attempt
    final = checkpoints.saved[-1]
    assert (final.records_generated, final.records_failed, final.next_record) == (119, 1, 120)
    assert final.failures == {
        "by_error": {failure.__name__: 1},
        "examples": [{"record": 60, "error": failure.__name__, "reason": "record 60 failed"}],
    }


def test_a_throttled_record_is_the_jobs_problem_not_the_records() -> None:
    engine = make_engine(failing={10: 99}, failure=ThrottledError)
    result, _, _, indexes = run(engine, 50, interval=5, concurrency=1)
    assert result.outcome is Outcome.INTERRUPTED
    assert isinstance(result.error, ThrottledError)
    assert indexes == list(range(10))


def test_records_failing_in_a_row_fail_the_job_with_the_last_reason() -> None:
    engine = make_engine(failing={index: 99 for index in range(30, 200)})
    result, _, checkpoints, indexes = run(
        engine, 200, interval=10, concurrency=2, failure_streak=25
    )
    assert result.outcome is Outcome.INTERRUPTED
    assert isinstance(result.error, RecordsKeepFailingError)
    assert "records in a row failed" in str(result.error)
    assert "ModelInvocationError: record" in str(result.error)
    assert indexes == list(range(30))
    # it stopped at the first batch that completed the streak, with those failures counted
    assert checkpoints.saved[-1].records_failed == 30


def test_a_record_that_wedged_two_workers_is_skipped_as_poison() -> None:
    # "3" is below where the worker resumes: already settled, so it is ignored and dropped
    start = Checkpoint(
        job_id="job", records_generated=5, current_batch=1, wedged={"12": 2, "13": 1, "3": 5}
    )
    engine = make_engine()
    result, _, checkpoints, indexes = run(engine, 20, checkpoint=start, interval=5)
    assert result.outcome is Outcome.COMPLETED
    assert 12 not in engine.made and 13 in engine.made  # one wedge: tried again
    assert indexes == [index for index in range(5, 20) if index != 12]
    final = checkpoints.saved[-1]
    assert final.failures["by_error"] == {"PoisonRecord": 1}
    assert "stopped 2 workers" in final.failures["examples"][0]["reason"]
    assert final.wedged == {}  # settled records leave the wedge list


def test_a_relaunch_resumes_after_the_failed_records_too() -> None:
    start = Checkpoint(job_id="job", records_generated=8, records_failed=2, current_batch=2)
    engine = make_engine()
    result, batches, _, indexes = run(engine, 20, checkpoint=start, interval=5)
    assert result.outcome is Outcome.COMPLETED
    assert sorted(engine.made) == indexes == list(range(10, 20))
    assert sorted(batches.batches) == [2, 3]
    assert result.checkpoint.records_generated == 18


def test_records_map_to_seed_rows_round_robin() -> None:
    engine = make_engine()
    _, batches, _, _ = run(engine, 15, interval=50)
    seeds = [record["seed"]["n"] for record in batches.batches[0]]
    assert seeds == [n % 7 for n in range(15)]
    ids = [record["id"] for record in batches.batches[0]]
    assert len(set(ids)) == 15
    assert ids[7] == record_id("job", 0, 1)
