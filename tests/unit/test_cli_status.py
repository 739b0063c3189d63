"""``plot-palette status``'s lines on failed records: counts by error, then the first reasons."""

from __future__ import annotations

import io

from plot_palette.cli.app import failure_lines
from plot_palette.cli.safe_console import SafeConsole


def test_no_lines_for_a_job_without_failed_records() -> None:
    assert failure_lines({"records_failed": 0}) == []
    assert failure_lines({}) == []


def test_failed_records_are_counted_and_their_reasons_printed_as_text() -> None:
    job = {
        "records_failed": 7,
        "record_failures": {
            "by_error": {"PoisonRecord": 1, "ModelInvocationError": 6},
            "examples": [
                {"record": n, "error": "ModelInvocationError", "reason": f"[red]no {n}\x1b[2J"}
                for n in range(7)
            ],
        },
    }
    out = io.StringIO()
    console = SafeConsole(file=out, force_terminal=True, width=200, highlight=False)
    for line in failure_lines(job):
        console.print(line)
    text = out.getvalue()
    assert "7 record(s) failed and were skipped" in text
    assert "PoisonRecord: 1" in text and "ModelInvocationError: 6" in text
    assert "record 4: [red]no 4\\x1b[2J" in text  # markup and escapes shown, not obeyed
    assert "record 5:" not in text  # the first five reasons only
    assert "\x1b[2J" not in text


def test_the_allowance_is_spend_against_the_limits_and_the_jobs_waiting() -> None:
    from plot_palette.cli.app import allowance_lines

    allowance = {
        "day": "2026-12-08",
        "month": "2026-12",
        "spend_per_day_usd": {"limit": 250.0, "used": 12.5},
        "spend_per_month_usd": {"limit": 1000.0, "used": 40.0},
        "jobs_queued": {"limit": 20.0, "used": 3},
        "records_per_job": {"limit": 100000.0, "used": None},
        "budget_per_job_usd": {"limit": 100.0, "used": None},
    }
    assert allowance_lines(allowance) == [
        "allowance: spent or reserved $12.50 of $250.00 today (UTC), $40.00 of $1,000.00 this "
        "month; 3 of 20 jobs waiting",
        "per job: up to 100,000 records and a $100.00 budget",
    ]
