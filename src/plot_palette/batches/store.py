"""DynamoDB adapters: the Batches table and the Jobs table's ``batch-id-index``."""

from __future__ import annotations

from typing import Any

from plot_palette.errors import NotFoundError
from plot_palette.jobs.dynamo import from_item, newest_first_page, to_item


class BatchesStore:
    """One item per batch; a user's batches newest first through ``user-id-index``."""

    def __init__(self, client: Any, table_name: str, jobs_table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._jobs_table = jobs_table_name

    def create(self, batch: dict[str, Any]) -> None:
        """Insert a new batch (ids are random: a repeat is impossible, and refused)."""
        self._client.put_item(
            TableName=self._table,
            Item=to_item(batch),
            ConditionExpression="attribute_not_exists(batch_id)",
        )

    def record_failure(self, batch_id: str, job_count: int, error: str) -> None:
        """A batch whose jobs could not all be queued: how many were, and why it stopped."""
        self._client.update_item(
            TableName=self._table,
            Key={"batch_id": {"S": batch_id}},
            UpdateExpression="SET job_count = :count, #error = :error",
            ExpressionAttributeNames={"#error": "error"},
            ExpressionAttributeValues=to_item({":count": job_count, ":error": error}),
        )

    def get_owned(self, batch_id: str, user_id: str) -> dict[str, Any]:
        """The caller's batch; another user's is reported exactly like a missing one."""
        item = self._client.get_item(
            TableName=self._table, Key={"batch_id": {"S": batch_id}}, ConsistentRead=True
        ).get("Item")
        batch = from_item(item) if item else None
        if batch is None or batch.get("user_id") != user_id:
            raise NotFoundError(f"batch {batch_id} not found")
        return batch

    def page_for_user(
        self, user_id: str, limit: int, after: tuple[str, str] | None = None
    ) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
        """One page of the user's batches, newest first, and where the next page starts."""
        return newest_first_page(
            self._client, self._table, user_id=user_id, id_name="batch_id", limit=limit, after=after
        )

    def jobs_of(self, batch_id: str, user_id: str) -> list[dict[str, Any]]:
        """The batch's jobs in creation order: one Query (paged) on ``batch-id-index``.

        Only the owner's jobs are kept: a batch id in someone else's job item can never make
        it appear here.
        """
        request: dict[str, Any] = {
            "TableName": self._jobs_table,
            "IndexName": "batch-id-index",
            "KeyConditionExpression": "batch_id = :batch",
            "ExpressionAttributeValues": {":batch": {"S": batch_id}},
        }
        jobs: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            jobs.extend(from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [job for job in jobs if job.get("user_id") == user_id]
