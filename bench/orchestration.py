"""State transitions per job, counted from real executions on the local cloud.

Prints, for one uninterrupted job and for one interrupted twice (SIGTERM, as Spot does), the
state transitions its execution used and their Step Functions cost ($0.025 per 1,000), and for
15 jobs that waited behind 5 running ones, the transitions spent while waiting per second
waited (compared with the same job run without waiting).

Targets (issue 6): an uninterrupted job uses fewer than 40 transitions; waiting costs none per
second waited. Exits 1 when either is missed.

    python bench/orchestration.py
"""

from __future__ import annotations

import signal
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.orchestration.helpers import (
    history,
    job,
    local_cloud,
    submit,
    wait_final,
    wait_until,
    worker_of,
)

PRICE_PER_TRANSITION = 0.025 / 1000
MAX_TRANSITIONS = 40


def transitions(cloud, job_id: str) -> int:  # type: ignore[no-untyped-def]
    """Step Functions bills a transition each time a state is entered."""
    return sum(1 for event in history(cloud, job_id) if event["type"].endswith("StateEntered"))


def seconds_between(start: str, end: str) -> float:
    parse = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def main() -> int:
    with local_cloud(
        Path(tempfile.mkdtemp()), parameters={"MaxConcurrentJobs": 5}, model_latency_ms=20
    ) as cloud:
        plain = submit(cloud, 100)
        wait_final(cloud, plain)
        uninterrupted = transitions(cloud, plain)

        interrupted = submit(cloud, 600)
        for attempt in range(2):
            task = wait_until(
                lambda attempt=attempt: (
                    (t := worker_of(cloud, interrupted))
                    and job(cloud, interrupted).get("records_generated", 0) >= 100 * (attempt + 1)
                    and t
                ),
                timeout=120,
            )
            cloud.ecs.signal_task(task.arn, signal.SIGTERM)
            wait_until(lambda task=task: task.process.poll() is not None, timeout=60)
        assert wait_final(cloud, interrupted)["status"] == "COMPLETED"
        twice = transitions(cloud, interrupted)

        blockers = [submit(cloud, 600, budget=20) for _ in range(5)]
        for blocker in blockers:
            wait_until(lambda blocker=blocker: worker_of(cloud, blocker), timeout=60)
        waiting = [submit(cloud, 100) for _ in range(15)]
        for job_id in blockers + waiting:
            wait_final(cloud, job_id, timeout=600)
        waited = [
            seconds_between(job(cloud, j)["created_at"], job(cloud, j)["admitted_at"])
            for j in waiting
        ]
        extra = [transitions(cloud, j) - uninterrupted for j in waiting]

    per_second = sum(extra) / max(sum(waited), 1e-9)
    print(
        f"uninterrupted job:        {uninterrupted} transitions, "
        f"${uninterrupted * PRICE_PER_TRANSITION:.6f}"
    )
    print(f"interrupted twice:        {twice} transitions, ${twice * PRICE_PER_TRANSITION:.6f}")
    print(
        f"15 queued jobs:           waited {sum(waited):.1f} s in all (max {max(waited):.1f} s), "
        f"{sum(extra)} extra transitions, {per_second:.4f} per second waited"
    )
    print(
        f"RESULT transitions_uninterrupted={uninterrupted} "
        f"cost_uninterrupted_usd={uninterrupted * PRICE_PER_TRANSITION:.6f} "
        f"transitions_interrupted_twice={twice} "
        f"cost_interrupted_twice_usd={twice * PRICE_PER_TRANSITION:.6f} "
        f"waiting_seconds={sum(waited):.1f} waiting_extra_transitions={sum(extra)} "
        f"waiting_transitions_per_second={per_second:.4f}"
    )
    return 0 if uninterrupted < MAX_TRANSITIONS and sum(extra) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
