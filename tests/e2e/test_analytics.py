"""Cost analytics in the browser: a user's job shows up as today's spend, by template and model."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

from plot_palette.local.cloud import LocalCloud
from tests.e2e.test_dashboard import FINAL, launch, sign_up_and_sign_in
from tests.integration.orchestration.helpers import job


def format_usd(value: float) -> str:
    """What the dashboard's ``formatUsd`` shows for an amount (frontend/src/lib/format.ts)."""
    if value == 0 or abs(value) >= 1:
        return f"${value:.2f}"
    if abs(value) >= 0.01:
        return f"${value:.4f}"
    if abs(value) < 0.000001:
        return "<$0.000001"
    return "$" + re.sub(r"(\.\d{4}\d*?)0+$", r"\1", f"{value:.6f}")


def test_a_users_job_is_todays_spend_by_template_and_model(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "accountant@example.com")
    job_id = launch(page, "costed job", records=4, budget="1")
    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    item = job(cloud, job_id)
    cost = float(item["cost_usd"])
    assert cost > 0

    page.get_by_role("link", name="Cost analytics").click()
    page.wait_for_url(re.compile(r"/analytics$"))
    expect(page.get_by_role("radio", name="Last 30 days")).to_be_checked()
    expect(page.get_by_test_id("analytics-today")).to_have_text(format_usd(cost))
    expect(page.get_by_test_id("analytics-total")).to_have_text(format_usd(cost))
    expect(page.get_by_test_id("analytics-jobs")).to_have_text("1")
    expect(page.get_by_test_id("analytics-budget-used")).to_contain_text(
        f"{format_usd(cost)} of $1.00 over 1 finished job"
    )
    expect(page.get_by_test_id("analytics-budget-exceeded")).to_have_text("0 of 1 (0.0%)")
    # The by-day chart draws today's bar.
    expect(
        page.get_by_test_id("analytics-by-day-chart").locator(".recharts-bar-rectangle")
    ).not_to_have_count(0)

    template_rows = page.get_by_test_id("template-row")
    expect(template_rows).to_have_count(1)
    expect(template_rows.first).to_contain_text("poem-questions")
    expect(template_rows.first.locator("td").nth(1)).to_have_text(format_usd(cost))
    expect(template_rows.first.locator("td").nth(4)).to_have_text("4")
    # One row per model the template's steps ran on, as the worker recorded them on the job.
    models = sorted(item["cost_by_model"])
    model_rows = page.get_by_test_id("model-row")
    expect(model_rows).to_have_count(len(models))
    shown = sorted(
        model_rows.nth(index).locator("td").first.inner_text() for index in range(len(models))
    )
    assert shown == models
    page.shots("analytics-30-days")  # type: ignore[attr-defined]

    # The window lives in the URL: the radio is checked once the page has navigated to it.
    page.get_by_role("radio", name="Last 7 days").click()
    page.wait_for_url(re.compile(r"/analytics\?days=7$"))
    expect(page.get_by_role("radio", name="Last 7 days")).to_be_checked()
    expect(page.get_by_text("Spend, last 7 days")).to_be_visible()
    expect(page.get_by_test_id("analytics-today")).to_have_text(format_usd(cost))
    today = datetime.now(UTC).date().isoformat()
    assert item["created_at"].startswith(today)
    page.shots("analytics-7-days")  # type: ignore[attr-defined]
