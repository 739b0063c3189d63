"""Every way out of a worker run calls back (issues #15 and #21), with in-memory fakes."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from plot_palette.worker.service import Clients, report_failure, run_worker
from plot_palette.worker.settings import WorkerSettings
from plot_palette.worker.signals import StopSignals

SETTINGS = WorkerSettings(
    job_id="job-1",
    task_token="token",
    bucket_name="bucket",
    jobs_table_name="Jobs",
    cost_tracking_table_name="Costs",
)


class RecordingSfn:
    def __init__(self, error: Exception | None = None) -> None:
        self.failures: list[dict[str, str]] = []
        self.error = error

    def send_task_failure(self, **call: str) -> None:
        if self.error is not None:
            raise self.error
        self.failures.append(call)


class NoObjects:
    """S3 where nothing exists (or nothing can be reached, with ``error``)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def get_object(self, **_: Any) -> Any:
        if self.error is not None:
            raise self.error
        raise ClientError({"Error": {"Code": "NoSuchKey", "Message": "none"}}, "GetObject")


class RunningJob:
    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": {"job_id": {"S": "job-1"}, "status": {"S": "RUNNING"}}}


def clients(s3: Any, sfn: RecordingSfn) -> Clients:
    return Clients(s3=s3, dynamodb=RunningJob(), sfn=sfn, bedrock=None)


def test_an_unexpected_error_is_reported_under_its_class_name() -> None:
    sfn = RecordingSfn()
    s3 = NoObjects(EndpointConnectionError(endpoint_url="https://s3.example"))
    assert run_worker(SETTINGS, clients(s3, sfn)) == 1
    (failure,) = sfn.failures
    assert failure["error"] == "EndpointConnectionError"
    assert "https://s3.example" in failure["cause"]


def test_a_bug_is_reported_too() -> None:
    class Broken(NoObjects):
        def get_object(self, **_: Any) -> Any:
            raise KeyError("seed_data_key")

    sfn = RecordingSfn()
    assert run_worker(SETTINGS, clients(Broken(), sfn)) == 1
    assert [f["error"] for f in sfn.failures] == ["KeyError"]


def test_a_signal_before_the_run_is_an_interruption_reported_before_any_loading() -> None:
    signals = StopSignals()
    signals.received.set()  # as the entrypoint's handler does
    sfn = RecordingSfn()
    assert run_worker(SETTINGS, clients(NoObjects(), sfn), signals) == 0
    assert [f["error"] for f in sfn.failures] == ["SpotInterrupted"]


def test_a_signal_before_the_run_of_a_cancelled_job_reports_the_cancellation() -> None:
    class CancelledJob:
        def get_item(self, **_: Any) -> dict[str, Any]:
            return {"Item": {"job_id": {"S": "job-1"}, "status": {"S": "CANCELLED"}}}

    signals = StopSignals()
    signals.received.set()
    sfn = RecordingSfn()
    fakes = Clients(s3=NoObjects(), dynamodb=CancelledJob(), sfn=sfn, bedrock=None)
    assert run_worker(SETTINGS, fakes, signals) == 0
    assert [f["error"] for f in sfn.failures] == ["JobCancelled"]


def test_the_failure_report_is_truncated_to_the_api_limits() -> None:
    sfn = RecordingSfn()
    assert report_failure(sfn, "token", "E" * 300, "c" * 40000)
    (failure,) = sfn.failures
    assert len(failure["error"]) == 256 and len(failure["cause"]) == 32768


def test_a_report_that_cannot_be_sent_is_logged_not_raised() -> None:
    sfn = RecordingSfn(EndpointConnectionError(endpoint_url="https://states.example"))
    assert not report_failure(sfn, "token", "SpotInterrupted", "{}")
    assert not report_failure(sfn, None, "SpotInterrupted", "{}")
