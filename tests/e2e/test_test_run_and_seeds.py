"""A template test run in the editor, and generated seed data feeding a job, in the browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from plot_palette.local.cloud import LocalCloud
from tests.e2e.test_dashboard import FINAL, sign_up_and_sign_in

TWO_STEPS = """name: Browser questions
steps:
  - id: ask
    model_tier: tier-1
    max_tokens: 40
    prompt: Ask one question about "{{ poem.title }}" by {{ author.name }}.
  - id: answer
    model_tier: tier-2
    max_tokens: 60
    prompt: "Answer briefly: {{ steps.ask.output }}"
"""


def test_a_test_run_shows_every_steps_prompt_and_output(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "tester@example.com")
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("button", name="New template").click()
    page.get_by_role("button", name="Edit as plain text").click()
    page.get_by_label("Template YAML").fill(TWO_STEPS)

    panel = page.get_by_test_id("test-run-panel")
    # the poetry sample has the fields the template reads (poem.title, author.name)
    expect(panel.get_by_label("Sample dataset", exact=True).first).to_be_checked()
    samples = panel.get_by_role("combobox", name="Sample dataset")
    samples.select_option("poetry")
    expect(samples).to_have_value("poetry")
    panel.get_by_label("Records").select_option("2")
    panel.get_by_role("button", name="Run test").click()

    result = page.get_by_test_id("test-run-result")
    expect(result.get_by_test_id("test-run-summary")).to_contain_text(
        "the local model endpoint (free)"
    )
    expect(result.get_by_test_id("test-run-summary")).to_contain_text("4 calls")
    expect(result.get_by_test_id("test-run-step")).to_have_count(4)
    prompts = result.get_by_test_id("test-run-prompt")
    outputs = result.get_by_test_id("test-run-output")
    expect(prompts.nth(0)).to_contain_text("Ask one question about")
    expect(prompts.nth(1)).to_contain_text("Answer briefly:")
    for index in range(4):
        expect(outputs.nth(index)).to_have_text(re.compile(r"\w+"))
    # the second step's prompt holds the first step's output: the steps ran in order
    first_output = outputs.nth(0).inner_text()
    expect(prompts.nth(1)).to_contain_text(first_output[:40])
    page.shots("test-run")  # type: ignore[attr-defined]

    # a seed without the fields the template reads fails at its step, with the reason
    panel.get_by_label("Seed JSON").check()
    panel.get_by_label(re.compile("Seed records")).fill('{"poem": {"title": "Rain"}}')
    panel.get_by_role("button", name="Run test").click()
    expect(result.get_by_test_id("test-run-step-error")).to_contain_text(
        "step 'ask': 'author' is undefined"
    )
    page.shots("test-run-error")  # type: ignore[attr-defined]


def test_generated_seed_data_launches_a_job_that_completes(page: Page, cloud: LocalCloud) -> None:
    sign_up_and_sign_in(page, cloud, "seeder@example.com")
    page.get_by_role("link", name="New job").click()
    page.get_by_label("Job name").fill("generated seeds job")
    page.get_by_label("Template").select_option("poem-questions")
    expect(page.get_by_label("Version")).to_have_value("1")

    page.get_by_role("button", name="Generate seed data").click()
    generator = page.get_by_test_id("generate-seeds")
    generator.get_by_label("Records to generate").fill("12")
    generator.get_by_role("button", name="Generate", exact=True).click()
    made = page.get_by_test_id("generated-seeds")
    expect(made).to_contain_text("12 of 12 records with author.biography, author.name")
    key = made.get_by_test_id("generated-seed-key").inner_text().strip()
    assert re.fullmatch(r"seed-data/[0-9a-f-]+/generated/[0-9a-f]{32}\.jsonl", key), key
    expect(made.get_by_test_id("generated-preview")).to_contain_text('"poem"')
    expect(page.get_by_test_id("seed-validation")).to_contain_text("records have the fields")
    page.get_by_label("Records", exact=True).fill("6")
    page.get_by_label("Budget (USD)").fill("1")
    expect(page.get_by_test_id("estimate-expected")).to_contain_text("$")
    page.shots("generated-seeds")  # type: ignore[attr-defined]

    page.get_by_role("button", name="Launch job").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("job-status")).to_have_text("COMPLETED", timeout=FINAL)
    expect(page.get_by_test_id("job-progress")).to_contain_text("6 / 6")
