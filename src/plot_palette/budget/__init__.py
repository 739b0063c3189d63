"""Budget: cost from token counts and prices, and the guard that keeps spend within the limit."""

from plot_palette.budget.cost import (
    CostBreakdown,
    bedrock_cost,
    fargate_cost,
    fargate_spot_cost,
    max_call_cost,
    pricing,
    s3_request_cost,
)
from plot_palette.budget.guard import BudgetGuard, Reservation

__all__ = [
    "BudgetGuard",
    "CostBreakdown",
    "Reservation",
    "bedrock_cost",
    "fargate_cost",
    "fargate_spot_cost",
    "max_call_cost",
    "pricing",
    "s3_request_cost",
]
