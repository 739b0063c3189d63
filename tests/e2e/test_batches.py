"""Batches in the browser: a 3-job sweep runs and compares; the best chat dataset downloads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from plot_palette.local.cloud import LocalCloud
from tests.e2e.test_dashboard import FINAL, sign_up_and_sign_in

BATCH_URL = re.compile(r"/batches/[0-9a-f-]{36}$")


def open_new_batch_form(page: Page, name: str) -> None:
    """Go to Batches > New batch and fill the base job: poetry seeds, the built-in template."""
    page.get_by_role("link", name="Batches").click()
    page.get_by_role("link", name="New batch").click()
    page.get_by_label("Batch name").fill(name)
    page.get_by_role("combobox", name="Sample dataset").select_option("poetry")
    page.get_by_label("Template", exact=True).select_option("poem-questions")
    expect(page.get_by_label("Version", exact=True)).not_to_have_value("")
    page.get_by_label("Budget per job (USD)").fill("1")


def assert_shows_usd(cell: Locator, value: float) -> None:
    """The cell shows ``value`` in dollars, to the precision the dashboard prints."""
    text = cell.inner_text().strip()
    if text == "<$0.000001":
        assert 0 < value < 0.000001, (text, value)
        return
    match = re.fullmatch(r"\$(\d+\.\d+)", text)
    assert match, text
    shown = float(match.group(1))
    places = len(match.group(1).split(".")[1])
    assert value > 0 and abs(shown - value) <= 0.5 * 10**-places + 1e-12, (text, value)


def expected_best(rows: list[dict[str, Any]]) -> str:
    """The dashboard's rule: highest judge score (tie: lower cost per record), else the
    lowest cost per record among completed jobs."""
    made = [row for row in rows if row["records"] > 0]
    scored = [row for row in made if row["quality_score"] is not None]
    if scored:
        best = min(scored, key=lambda row: (-row["quality_score"], row["cost_per_record_usd"]))
    else:
        completed = [row for row in made if row["status"] == "COMPLETED"]
        best = min(completed, key=lambda row: row["cost_per_record_usd"])
    return str(best["job_id"])


def test_a_three_job_sweep_runs_compares_and_the_best_chat_dataset_downloads(
    page: Page, cloud: LocalCloud
) -> None:
    sign_up_and_sign_in(page, cloud, "sweeper@example.com")
    open_new_batch_form(page, "size sweep")
    expect(page.get_by_label("Chat format")).to_have_value("messages")
    page.get_by_label("Record counts").fill("2, 3, 4")
    expect(page.get_by_test_id("batch-job-count")).to_have_text("This sweep makes 3 jobs.")
    # the API's estimate (every check a submission makes) before anything is created
    expect(page.get_by_test_id("batch-estimate-jobs")).to_have_text("3")
    expect(page.get_by_test_id("batch-estimate-expected")).to_contain_text("$")
    expect(page.get_by_test_id("batch-estimate-row")).to_have_count(3)
    page.shots("new-batch")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Create batch").click()
    page.wait_for_url(BATCH_URL)
    batch_id = page.url.rsplit("/", 1)[-1]

    # the page refreshes itself until every job has ended
    expect(page.get_by_test_id("batch-status")).to_have_text("COMPLETED", timeout=FINAL)
    rows = page.get_by_test_id("batch-job-row")
    expect(rows).to_have_count(3)
    page.shots("compared")  # type: ignore[attr-defined]

    # the cells say what the API says about each job
    with page.expect_response(
        lambda r: r.url.endswith(f"/api/batches/{batch_id}") and r.request.method == "GET"
    ) as answered:
        page.reload()
    batch = answered.value.json()
    expect(rows).to_have_count(3)
    assert [row["params"] for row in batch["jobs"]] == [{"records": n} for n in (2, 3, 4)]
    for row in batch["jobs"]:
        line = page.locator(f'[data-testid="batch-job-row"][data-job-id="{row["job_id"]}"]')
        expect(line.get_by_test_id("param-records")).to_have_text(str(row["params"]["records"]))
        expect(line.get_by_test_id("job-status")).to_have_text("COMPLETED")
        expect(line.get_by_test_id("cell-records")).to_have_text(
            f"{row['records']} / {row['record_count']}"
        )
        assert row["records"] == row["record_count"] > 0
        assert_shows_usd(line.get_by_test_id("cell-cost"), row["cost_usd"])
        assert_shows_usd(line.get_by_test_id("cell-cost-per-record"), row["cost_per_record_usd"])
        # the quality step runs before a job ends: a finished job has its quality
        assert row["quality"] is not None, row
        overall = line.get_by_test_id("cell-quality-overall")
        if row["quality_score"] is not None:
            expect(overall).to_have_text(re.compile(r"^\d\.\d / 5$"))
            shown = float(overall.inner_text().split(" / ")[0])
            assert abs(shown - row["quality_score"]) <= 0.05 + 1e-9, (shown, row["quality_score"])
        else:
            expect(overall).to_have_text("—")
        distinct = (row["quality"].get("stats") or {}).get("distinct_2")
        if distinct is not None:
            detail = line.get_by_test_id("cell-quality").inner_text()
            found = re.search(r"distinct-2 (\d\.\d\d)", detail)
            assert found and abs(float(found.group(1)) - distinct) <= 0.005 + 1e-9, detail
        expect(line.get_by_test_id("cell-duration")).not_to_have_text("—")

    # the best job is marked, and its chat dataset downloads through the browser
    best_id = expected_best(batch["jobs"])
    best = page.locator(f'[data-testid="batch-job-row"][data-job-id="{best_id}"]')
    expect(best.get_by_test_id("best-badge")).to_have_text("Best")
    expect(page.get_by_test_id("best-badge")).to_have_count(1)
    link = page.get_by_test_id("best-download-dataset.chat.jsonl")
    expect(link).to_be_visible()
    page.shots("best")  # type: ignore[attr-defined]
    with page.expect_download() as downloading:
        link.click()
    path = downloading.value.path()
    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    best_row = next(row for row in batch["jobs"] if row["job_id"] == best_id)
    assert len(lines) == best_row["records"]
    for line in lines:
        roles = [message["role"] for message in line["messages"]]
        assert roles and roles[0] == "user" and roles[-1] == "assistant", line
        assert all(isinstance(message["content"], str) for message in line["messages"])

    # the batch is listed
    page.get_by_role("link", name="Batches").first.click()
    listed = page.get_by_test_id("batch-row")
    expect(listed).to_have_count(1)
    expect(listed).to_contain_text("size sweep")
    expect(listed).to_contain_text("Records asked")


def test_a_sweep_over_twenty_jobs_is_refused_with_the_servers_message_and_creates_nothing(
    page: Page, cloud: LocalCloud, expected_console: list[str]
) -> None:
    sign_up_and_sign_in(page, cloud, "oversweeper@example.com")
    # the browser logs the API's 400s as failed resource loads: expected here
    expected_console.append("400")
    open_new_batch_form(page, "too big")
    page.get_by_label("Record counts").fill("1, 2, 3, 4, 5, 6, 7")
    page.get_by_label("Temperatures").fill("0.1, 0.5, 0.9")
    message = "this sweep makes 21 jobs (3 temperature x 7 records); a batch holds at most 20"
    expect(page.get_by_test_id("batch-job-count")).to_contain_text("21 jobs")
    expect(page.get_by_test_id("batch-estimate-error")).to_contain_text(message)
    page.get_by_role("button", name="Create batch").click()
    expect(page.get_by_test_id("batch-form-error")).to_contain_text(message)
    page.shots("refused")  # type: ignore[attr-defined]
    assert page.url.endswith("/batches/new")

    # nothing was created: no batch, no job
    page.get_by_role("link", name="Batches").first.click()
    expect(page.get_by_text("No batch yet.", exact=False)).to_be_visible()
    page.get_by_role("link", name="Jobs", exact=True).click()
    expect(page.get_by_text("No jobs yet.")).to_be_visible()
    expect(page.get_by_test_id("job-row")).to_have_count(0)
