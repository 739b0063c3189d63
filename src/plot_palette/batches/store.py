"""DynamoDB adapters: the Batches table and the Jobs table's ``batch-id-index``."""

from __future__ import annotations

from typing import Any

from plot_palette.errors import NotFoundError
from plot_palette.jobs.dynamo import from_item, to_item


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
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "user-id-index",
            "KeyConditionExpression": "user_id = :user",
            "ExpressionAttributeValues": {":user": {"S": user_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {
                "user_id": {"S": user_id},
                "created_at": {"S": after[0]},
                "batch_id": {"S": after[1]},
            }
        response = self._client.query(**request)
        items = [from_item(item) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        following = (last["created_at"]["S"], last["batch_id"]["S"]) if last else None
        return items, following

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
