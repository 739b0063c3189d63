"""Slots come back under every fault admission can meet, through the real job state machine.

Each test injects one fault where AWS can produce it — a write applied whose response is lost
(the SDK retries it), a dispatcher dying between its grant and ``SendTaskSuccess``, a release
that keeps failing, an execution ending with no cleanup event — and checks the invariant: the
slots held are the running jobs, and none once the system is quiet.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from plot_palette.jobs.admission import SLOTS_KEY, dispatch
from plot_palette.jobs.cancel import cancel_job
from tests.integration.jobs.admission_harness import (
    Fault,
    Harness,
    claims_grant,
    releases_slot,
    takes_slot,
    wait_until,
)

pytestmark = pytest.mark.slow(seconds=90)


@pytest.fixture
def harness(client_for: Any) -> Iterator[Harness]:
    yield Harness(client_for, limit=1)


@pytest.fixture(autouse=True)
def fresh_moto(moto_server: str) -> None:
    """moto's backends live in the process, not the server: start each test from nothing."""
    requests.post(f"{moto_server}/moto-api/reset", timeout=30)


def quiet(harness: Harness) -> bool:
    report = harness.report()
    return report.quiet and report.balanced


def run_to_the_end(harness: Harness, *job_ids: str) -> None:
    for job_id in job_ids:
        harness.finish(job_id)
        assert harness.wait_ended(job_id) == "SUCCEEDED"
        assert harness.job(job_id)["status"] == "COMPLETED"
    wait_until(lambda: quiet(harness), "no slot held once every job ended")


def test_a_lost_response_to_the_slot_taking_update_still_admits_the_job(harness: Harness) -> None:
    # GIVEN one slot, and the first take's response lost after it applied (the SDK retries,
    # and the retry finds the slot taken — by this very take)
    harness.faulty_dynamodb.inject(Fault("update_item", "lost", match=takes_slot))

    # WHEN a job is submitted
    harness.submit("job-a")

    # THEN it is admitted and holds the one slot, and the queue keeps moving after it
    harness.worker_token("job-a")
    report = harness.report()
    assert report.holders.keys() == {"job-a"} and report.counter == 1
    harness.submit("job-b")
    harness.wait_parked("job-b")
    run_to_the_end(harness, "job-a", "job-b")


def test_a_lost_response_to_the_grant_claim_still_resumes_the_job(harness: Harness) -> None:
    # GIVEN the grant's claim applied and its response lost (the SDK retries the same claim)
    harness.faulty_dynamodb.inject(Fault("update_item", "lost", match=claims_grant))

    # WHEN a job is submitted
    harness.submit("job-a")

    # THEN the retry finds its own claim: the job is resumed and keeps its slot
    harness.worker_token("job-a")
    assert harness.report().holders.keys() == {"job-a"}
    run_to_the_end(harness, "job-a")


def test_a_lost_response_to_send_task_success_keeps_the_slot_of_the_resumed_job(
    harness: Harness,
) -> None:
    # GIVEN SendTaskSuccess applied and its response lost: the retry hears the token is gone
    harness.faulty_sfn.inject(Fault("send_task_success", "lost", retry_answer="TaskTimedOut"))

    # WHEN a job is submitted
    harness.submit("job-a")

    # THEN the job runs, and its slot is not given back behind its back
    harness.worker_token("job-a")
    wait_until(lambda: harness.job("job-a")["status"] == "RUNNING", "job-a running")
    report = harness.report()
    assert report.holders.keys() == {"job-a"} and report.matches_running
    assert harness.job("job-a").get("admitted_at")
    run_to_the_end(harness, "job-a")


def hold_a_slot_and_park_another(harness: Harness) -> None:
    """job-a runs in the one slot; job-b waits for it, parked."""
    harness.submit("job-a")
    harness.worker_token("job-a")
    harness.submit("job-b")
    harness.wait_parked("job-b")


def grant_b_and_crash_before_resuming_it(harness: Harness) -> None:
    """job-a ends; its release's dispatch grants job-b the slot and dies before SendTaskSuccess."""
    harness.faulty_dynamodb.inject(Fault("update_item", "crash_after", match=claims_grant))
    harness.finish("job-a")
    assert harness.wait_ended("job-a") == "SUCCEEDED"
    item = harness.queue_item("job-b")
    assert item is not None and "granted_at" in item
    assert harness.execution_status("job-b") == "RUNNING" and "job-b" not in harness.workers
    assert harness.report().holders.keys() == {"job-b"}


def test_a_grant_whose_dispatcher_died_before_resuming_it_is_sent_again(
    harness: Harness,
) -> None:
    # GIVEN job-b granted the slot by a dispatcher that died before SendTaskSuccess
    hold_a_slot_and_park_another(harness)
    grant_b_and_crash_before_resuming_it(harness)

    # WHEN the safety dispatch runs: a fresh grant is left to its dispatcher, a stale one resent
    assert harness.tick(grant_grace=3600)["resumed"] == []
    assert harness.tick(grant_grace=0)["resumed"] == ["job-b"]

    # THEN job-b runs in the slot it was granted, and ends like any other job
    harness.worker_token("job-b")
    assert harness.report().holders.keys() == {"job-b"}
    run_to_the_end(harness, "job-b")


def test_cancelling_a_job_granted_but_never_resumed_ends_its_wait_and_frees_the_slot(
    harness: Harness,
) -> None:
    # GIVEN job-b granted the slot by a dispatcher that died before SendTaskSuccess
    hold_a_slot_and_park_another(harness)
    grant_b_and_crash_before_resuming_it(harness)

    # WHEN its owner cancels it
    cancel_job(
        "job-b", "u", jobs=harness.jobs, admission=harness.admission, ecs=harness, cluster="c"
    )

    # THEN its execution hears JobCancelled, releases the slot and ends; nothing is held
    assert harness.wait_ended("job-b") == "SUCCEEDED"
    assert "Release Slot After Cancellation" in harness.history("job-b")
    assert harness.job("job-b")["status"] == "CANCELLED"
    wait_until(lambda: quiet(harness), "the cancelled job's slot released")


def test_a_dispatch_that_fails_while_parking_leaves_the_job_waiting_not_failed(
    harness: Harness,
) -> None:
    # GIVEN the first slot take fails before it applies (a network error the SDK gave up on)
    harness.faulty_dynamodb.inject(Fault("update_item", "before", match=takes_slot))

    # WHEN a job is submitted, then the safety dispatch runs
    harness.submit("job-a")
    harness.wait_parked("job-a")
    wait_until(lambda: harness.invocations, "the park invocation")
    assert harness.execution_status("job-a") == "RUNNING"
    assert harness.tick()["admitted"] == ["job-a"]

    # THEN the job was waiting, parked, and now runs
    harness.worker_token("job-a")
    run_to_the_end(harness, "job-a")


def test_a_dispatcher_that_loses_the_claim_never_frees_the_winners_slot(harness: Harness) -> None:
    # GIVEN job-a parked with no grant (its park's dispatch failed before taking a slot)
    harness.faulty_dynamodb.inject(Fault("update_item", "before", match=takes_slot))
    harness.submit("job-a")
    item = harness.wait_parked("job-a")
    wait_until(lambda: harness.invocations, "the park invocation")
    assert "granted_at" not in item

    # WHEN two dispatchers both take job-a's slot (a take of a held slot counts as taken) and
    # the other one claims the grant and resumes job-a just before this one claims it
    resumed_by_winner: list[str] = []
    harness.faulty_dynamodb.inject(
        Fault(
            "update_item",
            "call_first",
            match=claims_grant,
            first=lambda: resumed_by_winner.extend(dispatch(harness.admission)),
        )
    )
    assert dispatch(harness.admission) == []

    # THEN the winner resumed job-a once and the loser left its slot alone
    assert resumed_by_winner == ["job-a"]
    harness.worker_token("job-a")
    report = harness.report()
    assert report.holders.keys() == {"job-a"} and report.counter == 1
    run_to_the_end(harness, "job-a")


def test_a_slot_whose_release_kept_failing_is_released_by_the_safety_dispatch(
    client_for: Any,
) -> None:
    # GIVEN every release fails, and the state machine gives up on it (its retries shortened)
    harness = Harness(client_for, limit=1, release_attempts=1)
    harness.submit("job-a")
    harness.worker_token("job-a")
    harness.faulty_dynamodb.inject(Fault("update_item", "error", match=releases_slot, times=10**6))

    # WHEN the job finishes
    harness.finish("job-a")
    harness.wait_ended("job-a")
    assert harness.job("job-a")["status"] == "COMPLETED"
    assert harness.report().holders.keys() == {"job-a"}  # the slot outlived its execution

    # THEN the safety dispatch releases it once the release works again; a waiting job runs
    harness.submit("job-b")
    harness.wait_parked("job-b")
    harness.faulty_dynamodb.clear()
    result = harness.tick()
    assert result["released"] == ["job-a"] and result["admitted"] == ["job-b"]
    run_to_the_end(harness, "job-b")


def test_a_cancelled_job_whose_worker_still_runs_keeps_its_slot_until_its_execution_ends(
    harness: Harness,
) -> None:
    # GIVEN a running job cancelled by its owner: its worker is still stopping
    harness.submit("job-a")
    harness.worker_token("job-a")
    wait_until(lambda: harness.job("job-a")["status"] == "RUNNING", "job-a running")
    cancel_job(
        "job-a", "u", jobs=harness.jobs, admission=harness.admission, ecs=harness, cluster="c"
    )

    # WHEN the safety dispatch runs while the execution still runs
    assert harness.tick()["released"] == []

    # THEN the slot stays with the job until its execution releases it
    assert harness.report().holders.keys() == {"job-a"}
    harness.worker_fails("job-a", "JobCancelled")
    harness.wait_ended("job-a")
    wait_until(lambda: quiet(harness), "the cancelled job's slot released by its execution")


def test_an_execution_that_ended_without_its_cleanup_event_gives_its_slot_back(
    harness: Harness,
) -> None:
    # GIVEN a running job whose execution is stopped, and the cleanup rule's event never comes
    harness.submit("job-a")
    harness.worker_token("job-a")
    wait_until(lambda: harness.job("job-a")["status"] == "RUNNING", "job-a running")
    arn = harness.state_machine_arn.replace(":stateMachine:", ":execution:") + ":job-a"
    harness.sfn.stop_execution(executionArn=arn, error="Operator", cause="by hand")
    assert harness.report().holders.keys() == {"job-a"}

    # WHEN the safety dispatch runs
    assert harness.tick()["released"] == ["job-a"]

    # THEN the slot is free and the job failed, as the cleanup rule would have left them
    job = harness.job("job-a")
    assert job["status"] == "FAILED" and job["error_code"] == "ExecutionAborted"
    assert quiet(harness)


def test_a_slot_held_for_a_job_that_does_not_exist_is_released_once_its_grace_is_over(
    harness: Harness,
) -> None:
    # GIVEN two holders of no job: one from long ago, one that took its slot just now
    harness.dynamodb.put_item(
        TableName="QueueTable",
        Item={
            **SLOTS_KEY,
            "running_count": {"N": "2"},
            "ghost-old": {"S": "2020-01-01T00:00:00.000000Z"},
            "ghost-new": {"S": "2999-01-01T00:00:00.000000Z"},
        },
    )

    # WHEN the safety dispatch runs with its one-minute grace
    assert harness.tick(release_grace=60)["released"] == ["ghost-old"]

    # THEN the old one is released, the new one left to whoever is granting it
    report = harness.report()
    assert report.holders.keys() == {"ghost-new"} and report.balanced
