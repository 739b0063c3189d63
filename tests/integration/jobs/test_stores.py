"""Jobs, Queue and config stores against moto, with tables created from the template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from plot_palette.errors import ConflictError, NotFoundError
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore
from plot_palette.local.cfn import load_template

ROOT = Path(__file__).resolve().parents[3]


def create_tables(client: Any) -> None:
    """Create the database stack's tables exactly as the template declares them."""
    resources = load_template(ROOT / "stacks" / "database.yaml")["Resources"]
    for logical, body in resources.items():
        props = body["Properties"]
        request = {
            "TableName": logical,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props["BillingMode"],
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(**request)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(client)
        yield client


def job(job_id: str, user: str = "u1", created: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "job_id": job_id,
        "user_id": user,
        "status": "QUEUED",
        "created_at": created,
        "budget_usd": 1.5,
    }


def test_create_get_and_conditional_updates(dynamodb: Any) -> None:
    jobs = JobsStore(dynamodb, "JobsTable")
    jobs.create(job("j1"))
    with pytest.raises(ConflictError):
        jobs.create(job("j1"))
    assert jobs.get("j1")["budget_usd"] == 1.5
    assert jobs.update("j1", {"status": "RUNNING", "records_generated": 5})
    assert jobs.update("j1", {"status": "CANCELLED"})
    assert not jobs.update("j1", {"records_generated": 9}, unless_status=frozenset({"CANCELLED"}))
    assert jobs.get("j1")["records_generated"] == 5
    assert not jobs.update("missing", {"status": "RUNNING"})
    with pytest.raises(NotFoundError):
        jobs.get("missing")


def test_progress_never_goes_back_when_a_zombie_reports_a_stale_count(dynamodb: Any) -> None:
    jobs = JobsStore(dynamodb, "JobsTable")
    jobs.create(job("j2"))
    assert jobs.record_progress("j2", {"records_generated": 200}, {"s3_requests": 3}) == "QUEUED"
    # GIVEN a zombie that wakes up after its relaunch committed 200 records
    # WHEN it reports the 20 it had made
    status = jobs.record_progress("j2", {"records_generated": 20}, {"s3_requests": 1})
    # THEN its stale write is dropped whole, and it still learns the job's status
    assert status == "QUEUED"
    stored = jobs.get("j2")
    assert stored["records_generated"] == 200 and stored["s3_requests"] == 3
    assert jobs.record_progress("j2", {"records_generated": 200}, {}) == "QUEUED"


def test_a_users_jobs_come_newest_first_from_the_index(dynamodb: Any) -> None:
    jobs = JobsStore(dynamodb, "JobsTable")
    jobs.create(job("old", created="2026-01-01T00:00:00Z"))
    jobs.create(job("new", created="2026-02-01T00:00:00Z"))
    jobs.create(job("theirs", user="u2"))
    assert [item["job_id"] for item in jobs.list_for_user("u1")] == ["new", "old"]


def test_queue_items_are_unique(dynamodb: Any) -> None:
    queue = QueueStore(dynamodb, "QueueTable")
    queue.enqueue("j1", 5, "2026-01-01T00:00:00Z")
    with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException):
        queue.enqueue("j1", 5, "2026-01-01T00:00:00Z")
    assert queue.slots_in_use() == 0


def test_config_is_written_once() -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="pp-configs")
        configs = ConfigStore(s3, "pp-configs")
        configs.put("j1", {"record_count": 3})
        assert configs.get("j1") == {"record_count": 3}
        with pytest.raises(s3.exceptions.ClientError):
            configs.put("j1", {"record_count": 4})
        with pytest.raises(NotFoundError):
            configs.get("nope")
