"""Reading a user's jobs in a window: one paginated Query on ``user-id-index``, nothing per job.

The index's sort key is ``created_at``, so the window is a key condition and DynamoDB reads
only the jobs inside it; a projection keeps each page to the attributes cost analytics needs.
Numbers stay ``Decimal`` as DynamoDB stores them, so sums are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from plot_palette.quality.summary import quality_summary

if TYPE_CHECKING:
    from collections.abc import Iterator

    from plot_palette.analytics.window import Window

USER_INDEX = "user-id-index"
# Pages of up to this many items (DynamoDB also stops a page at 1 MB).
PAGE_SIZE = 500
_ATTRIBUTES = (
    "job_id",
    "status",
    "created_at",
    "template_id",
    "budget_usd",
    "cost_usd",
    "records_generated",
    "cost_by_model",
    "quality_cost_usd",
    "quality",
)
_deserializer = TypeDeserializer()
ZERO = Decimal(0)


@dataclass(frozen=True)
class JobCost:
    """What one job spent, and on what (the part of a job item analytics reads)."""

    job_id: str
    status: str
    created_at: str
    template_id: str
    budget_usd: Decimal = ZERO
    cost_usd: Decimal = ZERO
    records: int = 0
    cost_by_model: dict[str, Decimal] = field(default_factory=dict)
    judge_model: str | None = None
    judge_cost_usd: Decimal = ZERO


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _judge_model(job: dict[str, Any]) -> str | None:
    """The judge model named in the job's ``quality``, if a judge ran."""
    judge = (quality_summary(job) or {}).get("judge")
    model = judge.get("model") if isinstance(judge, dict) else None
    return str(model) if model else None


def job_cost(item: dict[str, Any]) -> JobCost:
    """A raw DynamoDB item (attribute-value form) as a ``JobCost``."""
    values = {name: _deserializer.deserialize(value) for name, value in item.items()}
    models = values.get("cost_by_model") or {}
    return JobCost(
        job_id=str(values["job_id"]),
        status=str(values.get("status", "")),
        created_at=str(values["created_at"]),
        template_id=str(values.get("template_id") or "inline"),
        budget_usd=_decimal(values.get("budget_usd")),
        cost_usd=_decimal(values.get("cost_usd")),
        records=int(values.get("records_generated") or 0),
        cost_by_model={str(model): _decimal(cost) for model, cost in models.items()},
        judge_model=_judge_model(values),
        judge_cost_usd=_decimal(values.get("quality_cost_usd")),
    )


class JobCostReader:
    """The Jobs table's ``user-id-index``, read for cost analytics."""

    def __init__(self, client: Any, table_name: str, *, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._table = table_name
        self._page_size = page_size

    def jobs(self, user_id: str, window: Window) -> Iterator[JobCost]:
        """The user's jobs created inside ``window``: one Query, as many pages as it takes."""
        names = {f"#p{index}": name for index, name in enumerate(_ATTRIBUTES)}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": USER_INDEX,
            "KeyConditionExpression": "#user = :user AND #created BETWEEN :start AND :end",
            "ExpressionAttributeNames": {**names, "#user": "user_id", "#created": "created_at"},
            "ExpressionAttributeValues": {
                ":user": {"S": user_id},
                ":start": {"S": window.start_key},
                ":end": {"S": window.end_key},
            },
            "ProjectionExpression": ", ".join(names),
            "Limit": self._page_size,
        }
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                yield job_cost(item)
            following = response.get("LastEvaluatedKey")
            if not following:
                return
            request["ExclusiveStartKey"] = following
