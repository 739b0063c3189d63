"""Sweep: every fault at every call site of admission, release, cancel and the outcome recording.

A clean run of small jobs (one of them cancelled while it waits) records the AWS calls made by
``plot_palette.jobs.admission``, ``.slots``, ``.cancel`` and ``.task_stops`` (the admission
function: park, dispatch, grant, release; the safety pass, the cleanup rule and the worker
stop events; cancel) and by the state
machine's own DynamoDB integrations (Mark Job Running, Leave The Queue, Mark Job Exporting,
Record Job Outcome…: moto's interpreter makes them in this process). Then, for each site
and each fault kind, the same run repeats with that fault at that site, in-process:

- admission's calls: fail before applying, apply and lose the response (the SDK retries), or
  apply and crash the function (Lambda reports ``Runtime.ExitError``); in CI each site gets one
  of the three in turn, ``PLOT_PALETTE_SWEEP=full`` gives every site all three;
- the state machine's integrations: throttled (``ProvisionedThroughputExceededException``),
  which the ASL's retry policy must absorb.

An impatient safety schedule (the one-minute pass with seconds of grace instead of a minute)
runs meanwhile, as EventBridge would. After each case: every job reaches a final status within
``FINAL_WITHIN`` seconds, a cancelled job ends CANCELLED, a job that was not cancelled ends
COMPLETED or FAILED with a reason, and once all have ended no slot is held and the counter
equals the holders (checked with the fault disarmed, so the check's own reads are not hit).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from plot_palette.errors import ConflictError
from plot_palette.jobs.admission import Admission, slot_report
from plot_palette.jobs.admission_events import safety_dispatch
from plot_palette.jobs.cancel import cancel_job
from plot_palette.jobs.store import JobsStore
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import Fault, FaultKind, InjectedCrash, injected, recorded
from tests.integration.orchestration.helpers import job, local_cloud, stores
from tests.integration.sweeps.helpers import submit_small

LIMIT = 1
FINAL_WITHIN = 180.0
CALLERS = (
    "plot_palette.jobs.admission",
    "plot_palette.jobs.slots",
    "plot_palette.jobs.cancel",
    "plot_palette.jobs.task_stops",
    "moto.stepfunctions",
)

pytestmark = pytest.mark.slow(seconds=170)
FULL = os.environ.get("PLOT_PALETTE_SWEEP") == "full"
ADMISSION_KINDS = [FaultKind.FAIL_BEFORE, FaultKind.LOSE_RESPONSE, FaultKind.CRASH_AFTER]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {"MaxConcurrentJobs": LIMIT, "WorkerHeartbeatSeconds": 5, "CheckpointInterval": 4}
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=5, stop_timeout=5
    ) as running:
        yield running


def impatient(cloud: LocalCloud) -> Admission:
    """The admission function's view, with seconds of grace instead of a minute."""
    return Admission(
        dynamodb=cloud.client("dynamodb"),
        sfn=cloud.client("stepfunctions"),
        queue_table=cloud.endpoints.queue_table,
        limit=LIMIT,
        jobs_table=cloud.endpoints.jobs_table,
        state_machine_arn=cloud.endpoints.state_machine_arn,
        grant_grace_seconds=3.0,
        release_grace_seconds=5.0,
    )


class SafetySchedule:
    """Runs the safety pass every two seconds on a thread, like a fast EventBridge schedule."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._admission = impatient(cloud)
        self._jobs = JobsStore(cloud.client("dynamodb"), cloud.endpoints.jobs_table)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(2.0):
            # A failed pass is retried by the next one, as on AWS.
            with contextlib.suppress(Exception):
                safety_dispatch(self._admission, self._jobs)

    def __enter__(self) -> SafetySchedule:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def run_jobs(cloud: LocalCloud) -> dict[str, str]:
    """Three small jobs behind one slot; the last is cancelled while it waits. ``{id: role}``."""
    jobs = {submit_small(cloud, 6, budget=1.0): "run" for _ in range(2)}
    waiting = submit_small(cloud, 6, budget=1.0)
    jobs[waiting] = "cancel"
    time.sleep(0.5)
    for _ in range(5):  # a user whose cancel failed (a 500) asks again, as the CLI would
        try:
            cancel_job(
                waiting,
                "sweep",
                jobs=stores(cloud).jobs,
                admission=impatient(cloud),
                ecs=cloud.client("ecs"),
                cluster=cloud.endpoints.cluster,
            )
            break
        except (ClientError, BotoCoreError, InjectedCrash):
            time.sleep(0.5)
        except ConflictError:  # an earlier attempt applied, or the job ended: finish() judges
            break
    return jobs


def finish(cloud: LocalCloud, jobs: dict[str, str]) -> list[str]:
    """Wait for every job to end; return the broken promises in words."""
    problems = []
    deadline = time.monotonic() + FINAL_WITHIN
    for job_id, role in jobs.items():
        try:
            cloud.wait_for_execution(job_id, timeout=max(1.0, deadline - time.monotonic()))
        except Exception as error:  # the bound is the promise: report it, go on with the rest
            problems.append(f"{role} job not final within {FINAL_WITHIN:.0f} s: {error}")
            continue
        item = job(cloud, job_id)
        if role == "cancel" and item["status"] != "CANCELLED":
            problems.append(f"cancelled job ended {item['status']}")
        if role == "run" and item["status"] not in ("COMPLETED", "FAILED"):
            problems.append(f"job ended {item['status']}")
        if item["status"] == "FAILED" and not item.get("error_message"):
            problems.append("FAILED without a reason")
    return problems


def quiet(cloud: LocalCloud) -> list[str]:
    """Wait until no slot is held (the safety pass may be releasing one); else say what is."""
    deadline = time.monotonic() + 60
    report = None
    while time.monotonic() < deadline:
        report = slot_report(impatient(cloud), cloud.endpoints.jobs_table)
        if report.quiet:
            break
        time.sleep(0.5)
    return [] if report is not None and report.quiet else [f"slots not released: {report}"]


def cases_for(sites: Counter[str]) -> list[Fault]:
    faults = []
    for labelled in sorted(sites):
        caller, site = labelled.split(": ", 1)
        service, rest = site.split(".", 1)
        operation = rest.split(" ", 1)[0]
        calls = sorted({1, sites[labelled]}) if FULL else [1]
        if caller == "moto.stepfunctions":
            if service != "dynamodb":
                continue  # the interpreter's other calls are its own plumbing, not our states
            for call in calls:
                faults.append(
                    Fault(
                        service,
                        operation,
                        FaultKind.FAIL_BEFORE,
                        call=call,
                        site=site,
                        caller=caller,
                        error_code="ProvisionedThroughputExceededException",
                    )
                )
            continue
        # In CI each site gets one kind, turn by turn, so every site and every kind is hit in a
        # few minutes; the full sweep tries every kind at every site.
        kinds = ADMISSION_KINDS if FULL else [ADMISSION_KINDS[len(faults) % len(ADMISSION_KINDS)]]
        for kind in kinds:
            for call in calls:
                faults.append(Fault(service, operation, kind, call=call, site=site, caller=caller))
    return faults


def test_every_fault_at_every_admission_and_outcome_call_site(
    cloud: LocalCloud, record_property: Any
) -> None:
    with SafetySchedule(cloud), recorded(*CALLERS) as plan:
        clean = run_jobs(cloud)
        assert finish(cloud, clean) == []
    with SafetySchedule(cloud):
        assert quiet(cloud) == []
    sites = Counter(plan.sites)
    assert any("dynamodb.UpdateItem Queue" in site for site in sites), sites
    assert any(site.startswith("moto.stepfunctions: dynamodb.UpdateItem Jobs") for site in sites)
    faults = cases_for(sites)
    problems: dict[str, list[str]] = {}
    lines = []
    fired = 0
    for fault in faults:
        name = f"{fault.kind.value} at {fault.caller}: {fault.site} #{fault.call}"
        with SafetySchedule(cloud):
            with injected(fault) as armed:
                jobs = run_jobs(cloud)
                found = finish(cloud, jobs)
            found += quiet(cloud)  # checked with the fault disarmed: the check's own reads
        fired += len(armed.fired)
        outcome = Counter(job(cloud, job_id)["status"] for job_id in jobs)
        lines.append(f"  {name}: {'fired' if armed.fired else 'not reached'} {dict(outcome)}")
        print(lines[-1], flush=True)
        if found:
            problems[name] = found
    summary = f"admission sweep: {len(sites)} call sites, {len(faults)} cases, {fired} faults fired"
    record_property("sweep", summary)  # listed at the end of the run (tests/conftest.py)
    print(f"\n{summary}")
    print("\n".join(lines))
    assert not problems, json.dumps(problems, indent=2)
