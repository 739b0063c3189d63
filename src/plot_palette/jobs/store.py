"""DynamoDB adapters for the Jobs and Queue tables, and the S3 job config.

Adapters take an injected boto3 client (no patching needed in tests) and turn AWS error codes
into our errors: a failed condition is a ``ConflictError``, a missing item a ``NotFoundError``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError, NotFoundError
from plot_palette.jobs.dynamo import from_item, newest_first_page, to_item
from plot_palette.jobs.status import JobStatus

QUEUED_PARTITION = "QUEUED"


def utc_now() -> str:
    """An ISO-8601 UTC timestamp with microseconds, which sorts as text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def queue_key(priority: int, created_at: str, job_id: str) -> str:
    """Sort key of a queued job: higher priority first, then first come, first served."""
    return f"{9 - priority}#{created_at}#{job_id}"


def config_key(job_id: str) -> str:
    """S3 key of a job's frozen configuration."""
    return f"jobs/{job_id}/config.json"


def _set_expression(values: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``SET #a0 = :v0, …`` with its attribute names and values (placeholders avoid reserved
    words such as ``status``)."""
    names = {f"#a{index}": name for index, name in enumerate(values)}
    item = to_item({f":v{index}": value for index, value in enumerate(values.values())})
    expression = "SET " + ", ".join(f"#a{index} = :v{index}" for index in range(len(values)))
    return expression, names, item


class JobsStore:
    """The Jobs table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put_request(self, job: dict[str, Any]) -> dict[str, Any]:
        """``create`` as an item of a ``TransactWriteItems``."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(job),
                "ConditionExpression": "attribute_not_exists(job_id)",
            }
        }

    def create(self, job: dict[str, Any]) -> None:
        """Insert a new job; a second insert of the same id is a ``ConflictError``."""
        try:
            self._client.put_item(**self.put_request(job)["Put"])
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(f"job {job['job_id']} already exists") from None
            raise

    def get(self, job_id: str) -> dict[str, Any]:
        """Read a job (strongly consistent)."""
        item = self._client.get_item(
            TableName=self._table, Key={"job_id": {"S": job_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"job {job_id} not found")
        return from_item(item)

    def update(
        self,
        job_id: str,
        values: dict[str, Any],
        *,
        unless_status: frozenset[str] = frozenset(),
    ) -> bool:
        """Set attributes on a job; return False (and change nothing) when its status is one
        of ``unless_status`` or the job does not exist. ``None`` values are left out."""
        expression, names, item = _set_expression(
            {name: value for name, value in values.items() if value is not None}
        )
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"job_id": {"S": job_id}},
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": item,
            "ConditionExpression": "attribute_exists(job_id)",
        }
        if unless_status:
            names["#status"] = "status"
            placeholders = []
            for index, status in enumerate(sorted(unless_status)):
                item[f":s{index}"] = {"S": status}
                placeholders.append(f":s{index}")
            request["ConditionExpression"] += f" AND NOT #status IN ({', '.join(placeholders)})"
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_progress(
        self, job_id: str, values: dict[str, Any], increments: dict[str, int | float]
    ) -> JobStatus:
        """Write progress whatever the status (a cancelled job's counts stay true) and return
        the status it has now, so the worker notices a cancellation.

        ``records_generated`` never goes back: a zombie worker that wakes up after its relaunch
        went further would otherwise write its stale count over the job. Such a write is
        dropped whole (it is stale in every field) and the job's status is still returned.
        """
        expression, names, item = _set_expression(values)
        if increments:
            for index, (name, delta) in enumerate(increments.items()):
                names[f"#i{index}"] = name
                item.update(to_item({f":i{index}": delta}))
            expression += " ADD " + ", ".join(
                f"#i{index} :i{index}" for index in range(len(increments))
            )
        condition: dict[str, Any] = {}
        if "records_generated" in values:
            names["#records"] = "records_generated"
            item.update(to_item({":records": values["records_generated"]}))
            condition["ConditionExpression"] = (
                "attribute_not_exists(#records) OR #records <= :records"
            )
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"job_id": {"S": job_id}},
                UpdateExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=item,
                ReturnValues="ALL_NEW",
                **condition,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return self.status(job_id)
        return JobStatus(from_item(response["Attributes"])["status"])

    def list_for_user(self, user_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """A user's jobs, newest first, from the ``user-id-index`` GSI (a Query, never a Scan)."""
        response = self._client.query(
            TableName=self._table,
            IndexName="user-id-index",
            KeyConditionExpression="user_id = :user",
            ExpressionAttributeValues={":user": {"S": user_id}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(item) for item in response["Items"]]

    def page_for_user(
        self, user_id: str, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of a user's jobs, newest first, and where the next page starts.

        ``after`` is ``(created_at, job_id)`` of the last job of the previous page; the user id
        is never taken from it, so a forged position cannot reach another user's jobs.
        """
        return newest_first_page(
            self._client, self._table, user_id=user_id, id_name="job_id", limit=limit, after=after
        )

    def status(self, job_id: str) -> JobStatus:
        """The job's current status."""
        return JobStatus(self.get(job_id)["status"])


class QueueStore:
    """The Queue table: one item per waiting job, sorted FIFO within priority."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def enqueue(
        self, job_id: str, priority: int, created_at: str, *, user_id: str | None = None
    ) -> str:
        """Put a job in the QUEUED partition; its INSERT on the stream starts its execution.

        ``user_id`` lets admission share slots fairly between users (``fair_share``)."""
        request = self.put_request(job_id, priority, created_at, user_id=user_id)["Put"]
        self._client.put_item(**request)
        return str(request["Item"]["queue_key"]["S"])

    def put_request(
        self, job_id: str, priority: int, created_at: str, *, user_id: str | None = None
    ) -> dict[str, Any]:
        """``enqueue`` as an item of a ``TransactWriteItems``."""
        key = queue_key(priority, created_at, job_id)
        item = {
            "queue_id": QUEUED_PARTITION,
            "queue_key": key,
            "job_id": job_id,
            "priority": priority,
            "created_at": created_at,
        }
        if user_id:
            item["user_id"] = user_id
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(item),
                "ConditionExpression": "attribute_not_exists(queue_key)",
            }
        }

    def slots_in_use(self) -> int:
        """How many concurrency slots are held now."""
        item = self._client.get_item(
            TableName=self._table,
            Key={"queue_id": {"S": "SLOTS"}, "queue_key": {"S": "SLOTS"}},
            ConsistentRead=True,
        ).get("Item")
        return int(item["running_count"]["N"]) if item and "running_count" in item else 0


class ConfigStore:
    """Each job's frozen configuration in S3 (what the worker reads)."""

    def __init__(self, s3_client: Any, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, job_id: str, config: dict[str, Any]) -> None:
        """Write the config once; a job's config never changes after submission."""
        self._s3.put_object(
            Bucket=self._bucket,
            Key=config_key(job_id),
            Body=json.dumps(config, indent=2).encode(),
            ContentType="application/json",
            IfNoneMatch="*",
        )

    def get(self, job_id: str) -> dict[str, Any]:
        """Read a job's config."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=config_key(job_id))["Body"].read()
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise NotFoundError(f"job {job_id} has no config") from None
            raise
        loaded: dict[str, Any] = json.loads(body)
        return loaded
