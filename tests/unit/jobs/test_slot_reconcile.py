"""Which slots the safety dispatch releases, and the slot report's invariants (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from plot_palette.jobs.admission import SlotReport, execution_arn, slot_holders
from plot_palette.jobs.slots import parse_time, slot_is_abandoned

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LONG_AGO = (NOW - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
JUST_NOW = (NOW - timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def abandoned(job: dict[str, Any] | None, execution: str | None) -> bool:
    return slot_is_abandoned(job, execution, now=NOW, grace_seconds=60)


@pytest.mark.parametrize("execution", ["RUNNING", "PENDING_REDRIVE"])
@pytest.mark.parametrize("status", ["RUNNING", "EXPORTING", "CANCELLED", "COMPLETED", "FAILED"])
def test_a_live_execution_keeps_its_slot_whatever_its_job_says(status: str, execution: str) -> None:
    # a CANCELLED job's worker may still be stopping; a COMPLETED one's release may be retrying
    assert not abandoned({"status": status, "finished_at": LONG_AGO}, execution)


@pytest.mark.parametrize("execution", ["SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT"])
def test_an_ended_execution_gives_its_slot_back_at_once(execution: str) -> None:
    assert abandoned({"status": "RUNNING"}, execution)
    assert abandoned({"status": "COMPLETED", "finished_at": JUST_NOW}, execution)
    assert abandoned(None, execution)


def test_without_the_execution_the_job_decides() -> None:
    assert abandoned(None, None)  # a holder of no job
    assert not abandoned({"status": "RUNNING"}, None)
    assert not abandoned({"status": "QUEUED"}, None)  # granted, not yet resumed
    assert abandoned({"status": "COMPLETED", "finished_at": LONG_AGO}, None)
    assert not abandoned({"status": "COMPLETED", "finished_at": JUST_NOW}, None)
    assert abandoned({"status": "BUDGET_EXCEEDED", "updated_at": LONG_AGO}, None)
    assert abandoned({"status": "FAILED"}, None)  # no time at all: nothing argues for waiting


def test_a_cancelled_job_is_released_only_once_its_execution_finished_it() -> None:
    # CANCELLED is written by the cancel, before the worker stops; finished_at by the execution
    assert not abandoned({"status": "CANCELLED", "cancelled_at": LONG_AGO}, None)
    assert abandoned({"status": "CANCELLED", "finished_at": LONG_AGO}, None)


def test_timestamps_of_every_writer_parse() -> None:
    assert parse_time("2026-12-07T12:00:00.123456Z") == NOW.replace(microsecond=123456)
    assert parse_time("2026-12-07T12:00:00.123Z") == NOW.replace(microsecond=123000)  # ASL
    assert parse_time("2026-12-07T12:00:00Z") == NOW
    assert parse_time("t") is None and parse_time(None) is None


def test_the_holders_are_the_slots_item_without_its_keys_and_counter() -> None:
    item = {
        "queue_id": {"S": "SLOTS"},
        "queue_key": {"S": "SLOTS"},
        "running_count": {"N": "2"},
        "job-a": {"S": JUST_NOW},
        "job-b": {"S": LONG_AGO},
    }
    assert slot_holders(item) == {"job-a": JUST_NOW, "job-b": LONG_AGO}


def test_the_report_checks_slots_held_against_running_jobs() -> None:
    quiet = SlotReport(holders={}, counter=0, running=frozenset())
    assert quiet.quiet and quiet.balanced and quiet.matches_running
    busy = SlotReport(holders={"a": JUST_NOW}, counter=1, running=frozenset({"a"}))
    assert busy.matches_running and not busy.quiet
    leaked = SlotReport(holders={"a": JUST_NOW}, counter=1, running=frozenset())
    assert leaked.balanced and not leaked.matches_running and not leaked.quiet
    drifted = SlotReport(holders={}, counter=1, running=frozenset())
    assert not drifted.balanced and not drifted.quiet


def test_an_execution_is_named_by_its_job() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:plot-palette-jobs"
    assert execution_arn(machine, "job-1") == (
        "arn:aws:states:us-east-1:123456789012:execution:plot-palette-jobs:job-1"
    )
