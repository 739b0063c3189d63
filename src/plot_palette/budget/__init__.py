"""Budget: cost from token counts and prices, the guard that keeps spend within the limit, and
the durable record of what a job has spent."""

from plot_palette.budget.cost import (
    CostBreakdown,
    bedrock_cost,
    fargate_cost,
    fargate_spot_cost,
    max_call_cost,
    pricing,
    s3_request_cost,
)
from plot_palette.budget.guard import BudgetGuard, Reservation, SpendRecord
from plot_palette.budget.ledger import SpendLeaseLostError, SpendLedger, SpendLedgerError

__all__ = [
    "BudgetGuard",
    "CostBreakdown",
    "Reservation",
    "SpendLeaseLostError",
    "SpendLedger",
    "SpendLedgerError",
    "SpendRecord",
    "bedrock_cost",
    "fargate_cost",
    "fargate_spot_cost",
    "max_call_cost",
    "pricing",
    "s3_request_cost",
]
