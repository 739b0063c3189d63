"""Live progress in the browser: the job page streams (no polling) and offers records so far."""

from __future__ import annotations

import json
import signal

import pytest
from playwright.sync_api import Page, Request, expect

from plot_palette.local.cloud import LocalCloud
from plot_palette.worker.checkpoint import checkpoint_key
from tests.e2e.test_dashboard import FINAL, launch, sign_up_and_sign_in
from tests.integration.orchestration.helpers import job, wait_until, worker_of

pytestmark = pytest.mark.slow(seconds=75)


def committed(cloud: LocalCloud, job_id: str) -> int:
    """Records the job's checkpoint has committed (what a snapshot of records so far holds)."""
    body = cloud.client("s3").get_object(Bucket=cloud.endpoints.bucket, Key=checkpoint_key(job_id))[
        "Body"
    ]
    return int(json.loads(body.read())["records_generated"])


def pause_between_commits(cloud: LocalCloud, task_arn: str, job_id: str) -> int:
    """SIGSTOP the worker where its checkpoint and the job's progress agree; return the count.

    A worker stopped between a commit and its progress update would show one figure on the
    page and another in the snapshot; then it is resumed and stopped again a moment later.
    """
    for _ in range(50):
        cloud.ecs.signal_task(task_arn, signal.SIGSTOP)
        shown = int(job(cloud, job_id)["records_generated"])
        if committed(cloud, job_id) == shown:
            return shown
        cloud.ecs.signal_task(task_arn, signal.SIGCONT)
        wait_until(
            lambda shown=shown: int(job(cloud, job_id)["records_generated"]) > shown,
            timeout=120,
            what="the job's progress to catch up with its checkpoint",
        )
    raise AssertionError("the worker never paused where its checkpoint and progress agree")


def test_a_running_job_streams_its_progress_and_downloads_what_it_has_so_far(
    page: Page, cloud: LocalCloud
) -> None:

    sign_up_and_sign_in(page, cloud, "watcher@example.com")
    dashboard_reads: list[str] = []

    def count(request: Request) -> None:
        if "/api/dashboard/" in request.url:
            dashboard_reads.append(request.url)

    page.on("request", count)
    job_id = launch(page, "watched job", records=600, budget="5")
    expect(page.get_by_test_id("progress-mode")).to_contain_text("live")

    # hold the worker once two batches are committed, so "so far" is a fixed number
    task = wait_until(lambda: worker_of(cloud, job_id), timeout=120, what="the job's worker")
    wait_until(
        lambda: int(job(cloud, job_id).get("records_generated", 0)) >= 100,
        timeout=120,
        what="two committed batches",
    )
    so_far = pause_between_commits(cloud, task.arn, job_id)
    try:
        # the stream brings the page to exactly what the job has made
        expect(page.get_by_test_id("job-progress")).to_contain_text(f"{so_far} / 600")
        page.get_by_test_id("partial-download-prepare").click()
        link = page.get_by_test_id("partial-download-link")
        expect(link).to_contain_text(f"Download {so_far} records")
        page.shots("records-so-far")  # type: ignore[attr-defined]
        href = link.get_attribute("href")
        assert href
        partial = page.request.get(href)
        assert partial.ok
        records = [json.loads(line) for line in partial.text().splitlines()]
        assert len({record["id"] for record in records}) == so_far
        assert all(record["job_id"] == job_id for record in records)
    finally:
        cloud.ecs.signal_task(task.arn, signal.SIGCONT)

    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    expect(page.get_by_test_id("job-progress")).to_contain_text("600 / 600")
    expect(page.get_by_test_id("partial-download")).to_have_count(0)
    # streamed, not polled: the page read the dashboard once when it opened, not every 2 s
    assert len(dashboard_reads) <= 2, dashboard_reads
