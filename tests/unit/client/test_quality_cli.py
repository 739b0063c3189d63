"""``plot-palette quality JOB_ID`` against a fake API."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.unit.client.test_templates_gallery_cli import FakeHttp, cli, http  # noqa: F401

REPORT = {
    "job_id": "job-1",
    "status": "COMPLETED",
    "reason": "the budget left allowed 3 of 20 judge calls",
    "stats": {
        "records": 40,
        "distinct_1": 0.4567,
        "distinct_2": 0.81,
        "length": {"min": 3, "p50": 12, "p90": 20, "max": 31, "mean": 12.5},
        "exact_duplicates": 2,
        "near_duplicates": 5,
    },
    "judge": {
        "model": "anthropic.claude-3-haiku",
        "sampled": 3,
        "coherence": 4.0,
        "relevance": 3.667,
        "format_compliance": 5.0,
        "overall": 4.222,
        "cost_usd": 0.00042,
    },
}


def test_the_report_is_printed_as_readable_lines(http: FakeHttp) -> None:  # noqa: F811
    http.answers[("GET", "/jobs/job-1/quality")] = (200, REPORT)
    result = CliRunner().invoke(cli.app, ["quality", "job-1"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "quality: COMPLETED",
        "  note: the budget left allowed 3 of 20 judge calls",
        "judge anthropic.claude-3-haiku on 3 records: coherence 4.00, relevance 3.67, "
        "format 5.00, overall 4.22 (of 5)",
        "  judge cost $0.000420, counted in the job's cost",
        "records assessed: 40",
        "distinct words 45.7%, distinct word pairs 81.0%",
        "words per record: min 3, median 12, p90 20, max 31, mean 12.5",
        "duplicates: 2 exact, 5 near",
    ]


@pytest.mark.parametrize(
    ("status", "message"),
    [(409, "job job-1 is RUNNING: its quality is assessed once it has ended"), (404, "not found")],
)
def test_the_servers_refusal_is_one_line_and_exit_1(
    http: FakeHttp,  # noqa: F811
    status: int,
    message: str,
) -> None:
    http.answers[("GET", "/jobs/job-1/quality")] = (status, {"message": message})
    result = CliRunner().invoke(cli.app, ["quality", "job-1"])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
