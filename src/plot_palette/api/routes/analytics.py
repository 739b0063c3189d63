"""``/analytics/costs``: the caller's spend over 7, 30 or 90 days (one Query, not one per job)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from plot_palette.analytics import JobCostReader, cost_report
from plot_palette.api.identity import caller_id
from plot_palette.api.models_analytics import CostAnalytics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the analytics route."""

    @app.get(
        "/analytics/costs",
        tags=["analytics"],
        summary="Spend over the last 7, 30 or 90 days by day, week, model and template",
    )
    def costs(
        days: Annotated[int, Query(description="7, 30 or 90 (UTC days, today included)")] = 30,
    ) -> CostAnalytics:
        reader = JobCostReader(services.dynamodb, services.settings.jobs_table_name)
        return CostAnalytics.of(cost_report(reader, caller_id(app), days))
