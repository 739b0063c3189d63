"""Sweep: every fault at every AWS call site a worker makes during a small job.

A clean job first records the call sites its worker makes (``s3.PutObject checkpoint``,
``dynamodb.UpdateItem Jobs``, ``stepfunctions.SendTaskHeartbeat``…, see
``plot_palette.local.faults.call_site``). Then, for each site and each kind of fault, a job runs
with that fault armed in its first worker: the call fails before it applies, applies and loses
its response (so the SDK retries), or applies and the worker dies (SIGKILL) before it reads the
answer. The jobs of a round run side by side on one shared local cloud.

After each job, the invariants the product promises:

- it reaches a final status within ``FINAL_WITHIN`` seconds;
- a COMPLETED job exported exactly the requested records, each id once; a job that ended
  otherwise exported exactly what its checkpoint committed, each once;
- real spend, counted at the model endpoint for this job's workers, is never above the budget
  plus one call's worst case, and the spend recorded on the job is never below it;
- and once every job has ended, no concurrency slot is held.

``PLOT_PALETTE_SWEEP=full`` adds SIGTERM and SIGSTOP (a zombie) after each call and hits the
last occurrence of each site as well as the first (see the README for its latest result).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from plot_palette.jobs.admission import slots_in_use
from plot_palette.jobs.status import JobStatus
from plot_palette.local.cloud import LocalCloud
from plot_palette.local.faults import Fault, FaultKind
from tests.integration.orchestration.helpers import (
    admission,
    job,
    local_cloud,
    wait_until,
)
from tests.integration.sweeps.helpers import (
    committed_records,
    exported_records,
    real_spend,
    submit_small,
    worst_call_usd,
)

pytestmark = pytest.mark.slow(seconds=200)

RECORDS = 12
BUDGET = 1.0
FINAL_WITHIN = 240.0
ROUND = 6
FULL = os.environ.get("PLOT_PALETTE_SWEEP") == "full"
KINDS = [FaultKind.FAIL_BEFORE, FaultKind.LOSE_RESPONSE, FaultKind.CRASH_AFTER]
if FULL:
    KINDS += [FaultKind.SIGTERM_AFTER, FaultKind.STOP_AFTER]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    parameters = {
        "WorkerHeartbeatSeconds": 5,
        "MaxWorkerRelaunches": 3,
        "CheckpointInterval": 4,
        "MaxConcurrentJobs": ROUND,
    }
    with local_cloud(
        tmp_path_factory.mktemp("home"), parameters=parameters, model_latency_ms=20, stop_timeout=5
    ) as running:
        running.ecs.meter_model_calls = True
        yield running


@dataclass(frozen=True)
class Case:
    fault: Fault

    @property
    def name(self) -> str:
        return f"{self.fault.kind.value} at {self.fault.site} #{self.fault.call}"


def record_sites(cloud: LocalCloud, log: Path) -> Counter[str]:
    """The call sites (and how often) one clean job's worker makes."""
    with cloud.pipes.held():
        job_id = submit_small(cloud, RECORDS, budget=BUDGET)
        cloud.ecs.arm_faults([], job_id=job_id, log_path=log)
    cloud.wait_for_execution(job_id, timeout=FINAL_WITHIN)
    assert job(cloud, job_id)["status"] == "COMPLETED"
    return Counter(log.read_text().splitlines())


def cases_for(sites: Counter[str]) -> list[Case]:
    cases = []
    for site, count in sorted(sites.items()):
        service, rest = site.split(".", 1)
        operation = rest.split(" ", 1)[0]
        calls = sorted({1, count}) if FULL else [1]
        for kind in KINDS:
            for call in calls:
                cases.append(Case(Fault(service, operation, kind, call=call, site=site)))
    return cases


def run_round(cloud: LocalCloud, cases: list[Case]) -> dict[str, Case]:
    """Queue one job per case, each with its fault armed in its first worker."""
    started: dict[str, Case] = {}
    with cloud.pipes.held():
        for case in cases:
            job_id = submit_small(cloud, RECORDS, budget=BUDGET)
            cloud.ecs.arm_faults([case.fault], job_id=job_id)
            started[job_id] = case
    return started


def check_job(cloud: LocalCloud, job_id: str, case: Case, worst: float) -> list[str]:
    """Every broken promise of one finished job, in words (empty when all hold)."""
    problems = []
    item = job(cloud, job_id)
    status = JobStatus(item["status"])
    exported = exported_records(cloud, job_id)
    ids = [record["id"] for record in exported]
    if len(ids) != len(set(ids)):
        problems.append(f"{len(ids) - len(set(ids))} duplicate records")
    if status is JobStatus.COMPLETED and len(set(ids)) != RECORDS:
        problems.append(f"COMPLETED with {len(set(ids))} of {RECORDS} records")
    if (
        status is not JobStatus.COMPLETED
        and exported
        and len(ids) != committed_records(cloud, job_id)
    ):
        problems.append(f"{status.value}: exported {len(ids)} but committed a different count")
    real = real_spend(cloud, job_id)
    recorded = float(item.get("cost_usd", 0))
    if real > BUDGET + worst:
        problems.append(f"real spend ${real:.6f} above the budget ${BUDGET}")
    if recorded < real - 1e-9:
        problems.append(f"recorded spend ${recorded:.6f} below real spend ${real:.6f}")
    if status is JobStatus.FAILED and not item.get("error_message"):
        problems.append("FAILED without a reason")
    return problems


def test_every_fault_at_every_worker_call_site_keeps_every_promise(
    cloud: LocalCloud, tmp_path: Path, record_property: Any
) -> None:
    sites = record_sites(cloud, tmp_path / "sites.log")
    assert {"s3.PutObject checkpoint", "s3.PutObject batch", "dynamodb.UpdateItem Jobs"} <= set(
        sites
    ), sites
    cases = cases_for(sites)
    worst = worst_call_usd()
    problems: dict[str, list[str]] = {}
    outcomes: Counter[str] = Counter()
    lines: list[str] = []
    for start in range(0, len(cases), ROUND):
        running = run_round(cloud, cases[start : start + ROUND])
        deadline = time.monotonic() + FINAL_WITHIN
        for job_id, case in running.items():
            try:
                cloud.wait_for_execution(job_id, timeout=max(1.0, deadline - time.monotonic()))
            except Exception as error:  # the bound is the promise: report, don't stop the sweep
                problems[case.name] = [f"not final within {FINAL_WITHIN:.0f} s: {error}"]
                continue
            item = job(cloud, job_id)
            outcomes[item["status"]] += 1
            lines.append(f"  {case.name}: {item['status']} {item.get('error_code', '')}".rstrip())
            found = check_job(cloud, job_id, case, worst)
            if found:
                problems[case.name] = found
        wait_until(lambda: slots_in_use(admission(cloud)) == 0, timeout=60, what="slots released")
    summary = (
        f"worker sweep: {len(sites)} call sites, {len(KINDS)} fault kinds, {len(cases)} cases; "
        f"outcomes {dict(outcomes)}"
    )
    record_property("sweep", summary)  # listed at the end of the run (tests/conftest.py)
    print(f"\n{summary}")
    print("\n".join(lines))
    assert not problems, json.dumps(problems, indent=2)
