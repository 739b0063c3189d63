"""The dashboard end to end: what a user does in the browser, against the local cloud and API."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from plot_palette.local.cloud import LocalCloud

pytestmark = pytest.mark.slow(seconds=55)

PASSWORD = "Browser-Pass-2026!"
SEEDS = (
    '{"poem": {"title": "Rain"}, "author": {"name": "Ann Lee"}}\n'
    '{"poem": {"title": "Snow"}, "author": {"name": "Bo Park"}}\n'
)

TEMPLATE_YAML = """name: Browser haiku
description: one cheap step, written in the dashboard
steps:
  - id: haiku
    model_tier: tier-1
    max_tokens: 60
    prompt: Write a haiku about {{ poem.title }} by {{ author.name }}.
"""
FINAL = 180_000  # ms: a job of a few records finishes in seconds locally


def sign_up_and_sign_in(page: Page, cloud: LocalCloud, email: str) -> None:
    """Create an account, verify it with the code the local pool mailed, and sign in."""
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    page.shots("verify")  # type: ignore[attr-defined]
    mailbox = f"{cloud.endpoints.dashboard_url}/local/mailbox/{email}"
    code = requests.get(mailbox, timeout=10).json()["code"]
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)
    page.shots("signed-in")  # type: ignore[attr-defined]


def launch(
    page: Page,
    name: str,
    *,
    records: int,
    budget: str,
    template: str | None = None,
    upload: Any = None,
    warned: bool = False,
) -> str:
    """Fill the new-job form and launch; return the job id from the job page's URL."""
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Job name").fill(name)
    if upload is not None:
        page.get_by_label("Upload a file").check()
        page.get_by_label("Seed data file").set_input_files(upload)
    else:
        page.get_by_label("Sample dataset", exact=True).first.check()
        page.get_by_role("combobox", name="Sample dataset").select_option("poetry")
    if template is not None:
        page.get_by_label("Template").select_option(template)
    else:
        page.get_by_label("Template").select_option("poem-questions")
    expect(page.get_by_test_id("seed-validation")).to_contain_text("records have the fields")
    page.get_by_label("Records").fill(str(records))
    page.get_by_label("Budget (USD)").fill(budget)
    # The API's estimate is shown before anything is launched.
    expect(page.get_by_test_id("estimate-expected")).to_contain_text("$")
    if warned:
        expect(page.get_by_test_id("job-estimate")).to_contain_text(
            "most likely stop at its budget"
        )
    page.shots("new-job")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Launch job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[-1]


def test_sign_up_upload_template_launch_watch_download(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "writer@example.com")

    page.get_by_role("link", name="Templates").click()
    page.get_by_role("button", name="New template").click()
    page.get_by_role("button", name="Edit as plain text").click()
    page.get_by_label("Template YAML").fill(TEMPLATE_YAML)
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_test_id("template-version")).to_contain_text("1")
    template_id = page.get_by_test_id("template-id").inner_text().strip()
    page.shots("template-saved")  # type: ignore[attr-defined]

    seeds = {"name": "seeds.jsonl", "mimeType": "application/x-ndjson", "buffer": SEEDS.encode()}
    job_id = launch(page, "browser job", records=4, budget="1", template=template_id, upload=seeds)
    status = page.get_by_test_id("job-status")
    expect(status).to_have_text("COMPLETED", timeout=FINAL)
    expect(page.get_by_test_id("job-progress")).to_contain_text("4 / 4")
    expect(page.get_by_test_id("cost-chart")).to_be_visible()
    expect(page.get_by_test_id("sample-records")).to_contain_text("Rain")
    page.shots("completed")  # type: ignore[attr-defined]

    link = page.get_by_test_id("download-dataset.jsonl")
    href = link.get_attribute("href")
    assert href
    dataset = page.request.get(href)
    assert dataset.ok
    records = [json.loads(line) for line in dataset.text().splitlines()]
    assert len({record["id"] for record in records}) == 4
    assert all(record["job_id"] == job_id for record in records)
    for name in ("dataset.parquet", "dataset.csv"):
        expect(page.get_by_test_id(f"download-{name}")).to_be_visible()

    page.get_by_role("link", name="Jobs").click()
    row = page.get_by_test_id("job-row").filter(has_text="browser job")
    expect(row.get_by_test_id("job-status")).to_have_text("COMPLETED")


def test_cancel_a_running_job(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "canceller@example.com")
    launch(page, "long job", records=5000, budget="50")
    expect(page.get_by_test_id("job-status")).to_have_text("RUNNING", timeout=FINAL)
    page.get_by_role("button", name="Cancel job").click()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_test_id("job-status")).to_have_text("CANCELLED", timeout=FINAL)
    expect(page.get_by_role("button", name="Cancel job")).to_have_count(0)


def test_a_job_that_hits_its_budget_says_so(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "thrifty@example.com")
    launch(page, "tight budget", records=2000, budget="0.01", warned=True)
    expect(page.get_by_test_id("job-status")).to_have_text("BUDGET_EXCEEDED", timeout=FINAL)
    progress = page.get_by_test_id("job-progress").inner_text()
    done, total = (int(part) for part in re.findall(r"\d+", progress)[:2])
    assert 0 < done < total == 2000


def test_another_user_cannot_see_the_job(
    page: Page, cloud: LocalCloud, expected_console: list[str]
) -> None:
    sign_up_and_sign_in(page, cloud, "owner@example.com")
    job_id = launch(page, "private job", records=2, budget="1")
    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    page.get_by_role("button", name="Sign out").click()

    sign_up_and_sign_in(page, cloud, "snoop@example.com")
    expect(page.get_by_test_id("job-row")).to_have_count(0)
    # The browser logs the API's 404 for the job as a failed resource load: expected here.
    expected_console.append("404")
    page.goto(f"/jobs/{job_id}")
    expect(page.get_by_text(f"job {job_id} not found")).to_be_visible()
    expect(page.get_by_test_id("job-status")).to_have_count(0)


def test_an_expired_session_keeps_the_half_written_template(
    page: Page, cloud: LocalCloud, expected_console: list[str]
) -> None:
    sign_up_and_sign_in(page, cloud, "drafter@example.com")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("button", name="New template").click()
    page.get_by_role("button", name="Edit as plain text").click()
    page.get_by_label("Template YAML").fill(TEMPLATE_YAML)
    # The access token goes bad (as an expired one would): the API answers 401.
    page.evaluate(
        """() => { for (const key of Object.keys(localStorage)) {
             if (key.endsWith('.accessToken') || key.endsWith('.idToken')) {
               localStorage.setItem(key, localStorage.getItem(key).slice(0, -8) + 'AAAAAAAA');
             } } }"""
    )
    expected_console.append("401")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.shots("expired")  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)
    if not page.get_by_label("Email").input_value():
        page.get_by_label("Email").fill("drafter@example.com")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("user-email")).to_have_text("drafter@example.com")
    page.get_by_role("link", name="Templates").click()
    editor = page.get_by_test_id("template-editor")
    expect(editor).to_contain_text("Browser haiku")
