"""``plot-palette analytics`` against a fake API: what it asks for and what it prints."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from typer.testing import CliRunner

from plot_palette.client import ApiClient
from tests.unit.client.test_templates_gallery_cli import FakeHttp

cli = importlib.import_module("plot_palette.cli.app")


def row(key: str, spend: float, jobs: int, records: int = 0) -> dict[str, Any]:
    return {"key": key, "spend_usd": spend, "jobs": jobs, "records": records}


REPORT = {
    "days": 7,
    "first_day": "2026-11-25",
    "last_day": "2026-12-01",
    "spend_usd": 0.25,
    "jobs": 2,
    "records": 40,
    "by_day": [row(f"2026-11-{day}", 0, 0) for day in range(25, 31)]
    + [row("2026-12-01", 0.25, 2, 40)],
    "by_week": [row("2026-W48", 0, 0), row("2026-W49", 0.25, 2, 40)],
    "by_model": [row("claude-haiku", 0.2, 2), row("nova-micro", 0.05, 1)],
    "by_template": [row("poem-questions", 0.25, 2, 40)],
    "efficiency": {
        "finished_jobs": 2,
        "budgeted_usd": 1.0,
        "spent_usd": 0.25,
        "budget_used": 0.25,
        "records_per_usd": 160.0,
        "cost_per_record_usd": 0.00625,
        "budget_exceeded_jobs": 1,
        "budget_exceeded_share": 0.5,
    },
    "jobs_by_status": {"BUDGET_EXCEEDED": 1, "COMPLETED": 1},
}


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> FakeHttp:
    fake = FakeHttp({})
    monkeypatch.setattr(cli, "_api", lambda: ApiClient("https://api.test", "token", http=fake))
    return fake


def test_analytics_prints_totals_efficiency_and_each_grouping(http: FakeHttp) -> None:
    http.answers[("GET", "/analytics/costs")] = (200, REPORT)
    result = CliRunner().invoke(cli.app, ["analytics", "--days", "7"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert http.calls[0][2]["params"] == {"days": 7}
    output = result.output
    assert "Spend over the last 7 days (2026-11-25 to 2026-12-01, UTC): $0.250000" in output
    assert "on 2 jobs, 40 records" in output
    assert "spent $0.250000 of $1.000000 budgeted (25.0% used)" in output
    assert "1 stopped at their budget (50.0%)" in output
    assert "Records per dollar: 160.0; cost per record: $0.006250" in output
    # Days without jobs are left out of the day table and counted in its caption.
    assert "2026-12-01" in output and "2026-11-26" not in output
    assert "6 days without jobs not shown" in output
    for label in ("2026-W49", "claude-haiku", "80.0%", "nova-micro", "poem-questions"):
        assert label in output


def test_analytics_defaults_to_30_days_and_reports_a_refusal_in_one_line(http: FakeHttp) -> None:
    http.answers[("GET", "/analytics/costs")] = (200, REPORT)
    assert CliRunner().invoke(cli.app, ["analytics"]).exit_code == 0
    assert http.calls[0][2]["params"] == {"days": 30}
    http.answers[("GET", "/analytics/costs")] = (
        400,
        {"message": "days must be one of 7, 30, 90, not 14"},
    )
    result = CliRunner().invoke(cli.app, ["analytics", "--days", "14"])
    assert result.exit_code == 1
    assert http.calls[1][2]["params"] == {"days": 14}
    assert "days must be one of 7, 30, 90, not 14 (HTTP 400)" in result.output


def test_an_empty_window_says_so(http: FakeHttp) -> None:
    empty = {**REPORT, "spend_usd": 0, "jobs": 0, "records": 0}
    http.answers[("GET", "/analytics/costs")] = (200, empty)
    result = CliRunner().invoke(cli.app, ["analytics", "--days", "90"])
    assert result.exit_code == 0, result.output
    assert "no jobs were submitted in this window" in result.output
