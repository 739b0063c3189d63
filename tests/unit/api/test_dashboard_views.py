"""Progress, cost and archive views of a job (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plot_palette.jobs.dashboard import archive_view, cost_view, progress_view, public_job

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def job(**values: object) -> dict[str, object]:
    return {
        "job_id": "j",
        "name": "n",
        "status": "RUNNING",
        "created_at": "2026-11-25T11:00:00.000000Z",
        "record_count": 1000,
        "records_generated": 250,
        "budget_usd": 2.0,
        "cost_usd": 0.5,
        **values,
    }


def test_a_running_job_has_a_rate_and_an_eta() -> None:
    view = progress_view(job(records_per_second=5.0), NOW)
    assert view == {
        "records_generated": 250,
        "records_failed": 0,
        "record_count": 1000,
        "percent": 25.0,
        "records_per_second": 5.0,
        "eta_seconds": 150.0,
    }


def test_failed_records_count_as_settled_in_the_percent_and_the_eta() -> None:
    failures = {"by_error": {"PoisonRecord": 1}, "examples": [{"record": 13}]}
    item = job(records_per_second=5.0, records_failed=250, record_failures=failures)
    view = progress_view(item, NOW)
    assert (view["records_failed"], view["percent"], view["eta_seconds"]) == (250, 50.0, 100.0)
    shown = public_job(item)
    assert (shown["records_failed"], shown["record_failures"]) == (250, failures)


def test_without_a_reported_rate_it_comes_from_the_start_time() -> None:
    started = (NOW - timedelta(seconds=100)).isoformat()
    assert progress_view(job(started_at=started), NOW)["records_per_second"] == 2.5


def test_a_finished_job_has_no_eta() -> None:
    assert (
        progress_view(job(status="COMPLETED", records_per_second=3.0), NOW)["eta_seconds"] is None
    )


def test_cost_is_shown_against_the_budget() -> None:
    view = cost_view(job())
    assert view["bedrock_usd"] == 0.5
    assert view["budget_used_percent"] == 25.0


def test_outputs_are_archived_after_three_days() -> None:
    recent = job(finished_at=(NOW - timedelta(days=1)).isoformat())
    old = job(finished_at=(NOW - timedelta(days=4)).isoformat())
    assert archive_view(recent, NOW)["archived"] is False
    assert archive_view(old, NOW) | {"note": ""} == {
        "archived": True,
        "storage_class": "GLACIER_IR",
        "note": "",
    }
    assert archive_view(job(finished_at="garbage"), NOW)["archived"] is False


def test_the_public_view_hides_internals_and_explains_failures() -> None:
    failed = job(
        status="FAILED",
        task_token="secret",
        queue_key="5#x#j",
        error_code="ExportError",
        error_message='{"errorMessage": "disk full"}',
    )
    shown = public_job(failed)
    assert "task_token" not in shown and "queue_key" not in shown
    assert shown["error"] == "ExportError: disk full"
