"""Chaos: a 2,000-record job under random SIGKILLs, SIGTERMs, one zombie and lost responses.

Starts the embedded local cloud, submits one job and, while it runs, hits whichever worker is
running at random moments:

- SIGTERM (a Spot interruption: the worker checkpoints and asks to be relaunched),
- SIGKILL (a worker that dies without a word: the heartbeat times out),
- one zombie: a worker stopped (SIGSTOP) until its relaunch is running, then resumed (SIGCONT)
  while it still believes it owns the job,
- lost responses: the first workers start with faults armed at the AWS SDK boundary
  (``plot_palette.local.faults``): a checkpoint write, a batch write, a progress update and a
  heartbeat each apply and lose their response, so the SDK retries a write that already
  happened.

Then it checks every promise and prints the figures:

- records: exactly the requested number, no duplicate id, each committed record exported;
- real spend, counted at the model endpoint (every answer it produced, whether or not the
  worker lived to read it), against the budget: never above the budget plus one call's worst
  case; and recorded spend (the job's ``cost_usd``) never below real spend;
- slots: none held once the job has ended.

    python bench/chaos.py [--records 2000] [--kills 3] [--terms 6] [--seed 2026]

The last line is ``RESULT name=value ...``; the script exits 1 when any promise is broken.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.orchestration.helpers import (  # noqa: E402
    admission,
    dataset,
    job,
    local_cloud,
    submit,
    wait_final,
    worker_of,
)
from tests.integration.sweeps.helpers import worst_call_usd  # noqa: E402

from plot_palette.jobs.admission import slots_in_use  # noqa: E402
from plot_palette.local.faults import Fault, FaultKind  # noqa: E402
from plot_palette.local.model_endpoint import billed_usd  # noqa: E402
from plot_palette.models import ModelRegistry  # noqa: E402

LOST_RESPONSES = [
    Fault("s3", "PutObject", FaultKind.LOSE_RESPONSE, call=3, match={"Key": "checkpoint"}),
    Fault("s3", "PutObject", FaultKind.LOSE_RESPONSE, call=2, match={"Key": "outputs"}),
    Fault("dynamodb", "UpdateItem", FaultKind.LOSE_RESPONSE, call=4, match={"TableName": "Jobs"}),
    Fault("stepfunctions", "SendTaskHeartbeat", FaultKind.LOSE_RESPONSE, call=2),
]


def endpoint_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_admin/stats", timeout=30) as response:
        stats: dict[str, Any] = json.load(response)
    return stats


def wait_for_worker(cloud: Any, job_id: str, records: int, deadline: float) -> Any:
    """A running worker of the job, once there is one; None if the job is nearly done."""
    while time.monotonic() < deadline:
        if job(cloud, job_id).get("records_generated", 0) >= records - 150:
            return None
        task = worker_of(cloud, job_id)
        if task is not None:
            return task
        time.sleep(0.05)
    return None


def make_zombie(cloud: Any, job_id: str, deadline: float) -> bool:
    """Stop the running worker until its relaunch runs, then let it wake up."""
    task = worker_of(cloud, job_id)
    if task is None or not cloud.ecs.signal_task(task.arn, signal.SIGSTOP):
        return False
    while time.monotonic() < deadline:
        relaunched = next(
            (
                other
                for other in cloud.ecs.running()
                if other.request.get("startedBy") == job_id and other.arn != task.arn
            ),
            None,
        )
        if relaunched is not None:
            time.sleep(1.0)  # let the new worker commit something before the zombie wakes
            cloud.ecs.signal_task(task.arn, signal.SIGCONT)
            return True
        time.sleep(0.1)
    cloud.ecs.signal_task(task.arn, signal.SIGCONT)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--terms", type=int, default=6)
    parser.add_argument("--budget", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    registry = ModelRegistry.load()
    worst = worst_call_usd()  # the poetry job's template, which ``submit`` queues
    relaunches = args.kills + args.terms + 4
    parameters = {"WorkerHeartbeatSeconds": 5, "MaxWorkerRelaunches": relaunches}
    started = time.monotonic()
    with local_cloud(
        Path(tempfile.mkdtemp(prefix="chaos-")),
        parameters=parameters,
        model_latency_ms=100,
        stop_timeout=10,
    ) as cloud:
        for fault in LOST_RESPONSES:
            cloud.ecs.arm_faults([fault])  # one lost response in each of the first workers
        job_id = submit(cloud, args.records, budget=args.budget)
        plan = ["SIGTERM"] * args.terms + ["SIGKILL"] * args.kills + ["zombie"]
        rng.shuffle(plan)
        sent: list[str] = []
        deadline = time.monotonic() + 900
        for action in plan:
            task = wait_for_worker(cloud, job_id, args.records, deadline)
            if task is None:
                break
            time.sleep(rng.uniform(0.2, 1.5))
            if action == "zombie":
                if make_zombie(cloud, job_id, deadline):
                    sent.append(action)
            elif cloud.ecs.signal_task(task.arn, getattr(signal, action)):
                sent.append(action)
                task.process.wait(timeout=120)
        final = wait_final(cloud, job_id, timeout=900)
        records = dataset(cloud, job_id) if final["status"] == "COMPLETED" else []
        ids = [record["id"] for record in records]
        real = billed_usd(endpoint_stats(cloud.endpoints.model_endpoint_url), registry)
        recorded = float(final.get("cost_usd", 0))
        leaked = slots_in_use(admission(cloud))
    elapsed = time.monotonic() - started

    duplicates = len(ids) - len(set(ids))
    checks = {
        "completed": final["status"] == "COMPLETED",
        "records": len(set(ids)) == args.records,
        "duplicates": duplicates == 0,
        "real_spend_within_budget": real <= args.budget + worst,
        "recorded_not_below_real": recorded >= real - 1e-9,
        "no_leaked_slots": leaked == 0,
    }
    print(
        f"job {job_id}: {final['status']} after {elapsed:.0f} s, attempts {final.get('attempts')}"
    )
    print(f"faults sent: {', '.join(sent) or 'none'}; lost responses armed: {len(LOST_RESPONSES)}")
    print(f"records {len(set(ids))} of {args.records}, duplicates {duplicates}")
    print(
        f"real spend ${real:.6f} (at the model endpoint), recorded ${recorded:.6f}, "
        f"budget ${args.budget:.2f} (+ one call's worst case ${worst:.6f})"
    )
    print(f"slots held after the job: {leaked}")
    for name, held in checks.items():
        print(f"  {'ok  ' if held else 'FAIL'} {name}")
    print(
        f"RESULT records={len(set(ids))} duplicates={duplicates} real_spend_usd={real:.6f} "
        f"recorded_spend_usd={recorded:.6f} budget_usd={args.budget:.2f} leaked_slots={leaked} "
        f"interruptions={len(sent)} seconds={elapsed:.0f}"
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
