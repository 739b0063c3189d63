"""Quality in the browser: a finished job's page shows the judge's scores and the statistics."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from plot_palette.local.cloud import LocalCloud
from tests.e2e.test_dashboard import FINAL, launch, sign_up_and_sign_in
from tests.integration.orchestration.helpers import job


def test_a_finished_job_shows_its_quality_and_the_judge_counts_in_its_cost(
    page: Page, cloud: LocalCloud
) -> None:
    sign_up_and_sign_in(page, cloud, "critic@example.com")
    job_id = launch(page, "judged job", records=8, budget="2")
    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    panel = page.get_by_test_id("quality-panel")
    expect(panel.get_by_test_id("quality-judge")).to_be_visible(timeout=FINAL)

    quality = json.loads(job(cloud, job_id)["quality"])
    judge, stats = quality["judge"], quality["stats"]
    assert judge["sampled"] == 8 and stats["records"] == 8
    # what the page shows is what the quality step recorded
    expect(panel.get_by_test_id("quality-overall")).to_have_text(f"{judge['overall']:.2f} / 5")
    expect(panel.get_by_test_id("quality-coherence")).to_have_text(f"{judge['coherence']:.2f} / 5")
    expect(panel.get_by_test_id("quality-duplicates")).to_have_text(
        f"{stats['exact_duplicates']} exact, {stats['near_duplicates']} near"
    )
    distinct = f"{stats['distinct_1'] * 100:.1f}% / {stats['distinct_2'] * 100:.1f}%"
    expect(panel.get_by_test_id("quality-distinct")).to_have_text(distinct)
    expect(panel).to_contain_text(re.compile(r"8 records scored for \$[0-9.]+, counted in"))
    page.shots("quality")  # type: ignore[attr-defined]
