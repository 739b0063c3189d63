"""Per-user quotas: what one account may queue and commit to spend (issue #16).

A deployment sets five limits (template parameters, passed as environment variables): jobs
queued at once, records per job, budget per job, and spend per UTC day and per calendar month.

Spend is *reserved* at submission: a job's whole budget counts against the day and the month it
was submitted in, so no set of jobs, however they run, can spend more than the allowance. When
the job ends, the part of the budget it did not spend is released (``settle``). What a user has
"used" in a period is therefore the budgets of their open jobs plus what their ended jobs spent.

Every check that writes is atomic. The job, its queue item and the reservations are one
``TransactWriteItems``: a refused quota leaves no job, and a job never exists without its
reservation (or a reservation without its job) whatever crashes in between. Concurrent
submissions cannot both take the last of an allowance: each reservation is a conditional update
of one item per user and period. Queued jobs are counted as a set of job ids on one item, added
to in the same transaction; ids of jobs that have left the queue are pruned when the set is full
(by reading their status), so a lost update can never lock a user out. Settling is once per job:
it is conditional on a flag on the job item, written in the same transaction as the release.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import NotFoundError, PlotPaletteError
from plot_palette.jobs.dynamo import from_item
from plot_palette.jobs.status import JobStatus
from plot_palette.jobs.store import JobsStore

LOGGER = logging.getLogger(__name__)
QUEUED = "queued"
DAY_TTL = timedelta(days=40)
MONTH_TTL = timedelta(days=400)


class QuotaExceededError(PlotPaletteError):
    """A submission over one of the user's quotas; the message names the quota and figures."""

    def __init__(self, quota: str, message: str) -> None:
        super().__init__(message)
        self.quota = quota


@dataclass(frozen=True)
class QuotaLimits:
    """The deployment's limits; the names are the template parameters that set them."""

    jobs_queued: int = 20
    records_per_job: int = 100_000
    budget_per_job_usd: float = 100.0
    spend_per_day_usd: float = 250.0
    spend_per_month_usd: float = 1000.0

    # environment variable -> field, as the API and admission functions receive them
    ENVIRONMENT = {
        "QUOTA_JOBS_QUEUED": "jobs_queued",
        "QUOTA_RECORDS_PER_JOB": "records_per_job",
        "QUOTA_BUDGET_PER_JOB_USD": "budget_per_job_usd",
        "QUOTA_SPEND_PER_DAY_USD": "spend_per_day_usd",
        "QUOTA_SPEND_PER_MONTH_USD": "spend_per_month_usd",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> QuotaLimits:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for variable, name in cls.ENVIRONMENT.items():
            if variable in environ:
                number = float(environ[variable])  # CloudFormation may pass "20" or "20.0"
                counted = name in ("jobs_queued", "records_per_job")
                values[name] = int(number) if counted else number
        return cls(**values)


# How each quota is named to the user: the parameter a deployment sets it with.
PARAMETERS = {
    "jobs_queued": "QuotaJobsQueued",
    "records_per_job": "QuotaRecordsPerJob",
    "budget_per_job_usd": "QuotaBudgetPerJobUsd",
    "spend_per_day_usd": "QuotaSpendPerDayUsd",
    "spend_per_month_usd": "QuotaSpendPerMonthUsd",
}


@dataclass(frozen=True)
class Periods:
    """The UTC day and month a submission reserves against."""

    day: str
    month: str

    @classmethod
    def at(cls, now: datetime) -> Periods:
        now = now.astimezone(UTC)
        return cls(day=now.strftime("%Y-%m-%d"), month=now.strftime("%Y-%m"))


def _usd(value: float) -> str:
    return f"${value:,.2f}"


class QuotaStore:
    """The Quotas table: per user, one item per day, one per month and one for queued jobs."""

    def __init__(self, client: Any, table_name: str, jobs_table: str, limits: QuotaLimits) -> None:
        self._client = client
        self._table = table_name
        self._jobs_table = jobs_table
        self._jobs = JobsStore(client, jobs_table)
        self.limits = limits

    def check_job(self, records: int, budget_usd: float) -> None:
        """The per-job quotas: refused before anything is validated or written."""
        limits = self.limits
        if records > limits.records_per_job:
            raise QuotaExceededError(
                "records_per_job",
                f"quota {PARAMETERS['records_per_job']}: a job may make at most "
                f"{limits.records_per_job:,} records; this one asks for {records:,}",
            )
        if budget_usd > limits.budget_per_job_usd:
            raise QuotaExceededError(
                "budget_per_job_usd",
                f"quota {PARAMETERS['budget_per_job_usd']}: a job's budget may be at most "
                f"{_usd(limits.budget_per_job_usd)}; this one asks for {_usd(budget_usd)}",
            )

    def transact(self, items: list[dict[str, Any]]) -> None:
        """Run a submission's ``TransactWriteItems`` (the job, its queue item, the quotas)."""
        self._client.transact_write_items(TransactItems=items)

    def reservation(
        self, user_id: str, job_id: str, budget_usd: float, periods: Periods, now: datetime
    ) -> list[dict[str, Any]]:
        """The transaction items that reserve ``budget_usd`` and count the job as queued."""
        limits = self.limits
        items = [
            self._reserve(
                user_id, f"day#{periods.day}", budget_usd, limits.spend_per_day_usd, now + DAY_TTL
            ),
            self._reserve(
                user_id,
                f"month#{periods.month}",
                budget_usd,
                limits.spend_per_month_usd,
                now + MONTH_TTL,
            ),
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(user_id, QUEUED),
                    "UpdateExpression": "ADD jobs :job",
                    "ConditionExpression": "attribute_not_exists(jobs) OR size(jobs) < :limit",
                    "ExpressionAttributeValues": {
                        ":job": {"SS": [job_id]},
                        ":limit": {"N": str(limits.jobs_queued)},
                    },
                }
            },
        ]
        return items

    def _reserve(
        self, user_id: str, period: str, amount: float, limit: float, expires: datetime
    ) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": self._key(user_id, period),
                "UpdateExpression": "ADD reserved_usd :amount SET expires_at = :expires",
                "ConditionExpression": (
                    "attribute_not_exists(reserved_usd) OR reserved_usd <= :room"
                ),
                "ExpressionAttributeValues": {
                    ":amount": {"N": _number(amount)},
                    ":room": {"N": _number(limit - amount)},
                    ":expires": {"N": str(int(expires.timestamp()))},
                },
            }
        }

    def refusal(
        self, user_id: str, budget_usd: float, periods: Periods, failed: int
    ) -> QuotaExceededError:
        """The error for the reservation item at ``failed`` (the order of ``reservation``)."""
        limits = self.limits
        if failed == 2:
            return QuotaExceededError(
                "jobs_queued",
                f"quota {PARAMETERS['jobs_queued']}: at most {limits.jobs_queued} of your jobs "
                "may wait in the queue at once; wait for one to start or cancel one",
            )
        period, name, limit = (
            (f"day#{periods.day}", "spend_per_day_usd", limits.spend_per_day_usd)
            if failed == 0
            else (f"month#{periods.month}", "spend_per_month_usd", limits.spend_per_month_usd)
        )
        used = self.used(user_id, period)
        span = "today (UTC)" if failed == 0 else "this month"
        return QuotaExceededError(
            name,
            f"quota {PARAMETERS[name]}: {_usd(limit)} of spend per "
            f"{'day' if failed == 0 else 'month'}; {_usd(used)} is reserved or spent {span}, "
            f"so {_usd(max(0.0, limit - used))} is left and this job's budget is "
            f"{_usd(budget_usd)}",
        )

    def used(self, user_id: str, period: str) -> float:
        item = self._client.get_item(
            TableName=self._table, Key=self._key(user_id, period), ConsistentRead=True
        ).get("Item")
        return float(from_item(item).get("reserved_usd", 0)) if item else 0.0

    def queued_jobs(self, user_id: str) -> tuple[list[str], list[str]]:
        """The jobs counted as queued: those still waiting, and those that have left the queue
        (started, ended or gone; read from the Jobs table)."""
        item = self._client.get_item(
            TableName=self._table, Key=self._key(user_id, QUEUED), ConsistentRead=True
        ).get("Item")
        waiting: list[str] = []
        gone: list[str] = []
        for job_id in sorted(item["jobs"]["SS"]) if item and "jobs" in item else []:
            (waiting if self._waits(job_id) else gone).append(job_id)
        return waiting, gone

    def _waits(self, job_id: str) -> bool:
        try:
            return self._jobs.status(job_id) is JobStatus.QUEUED
        except NotFoundError:
            return False

    def prune_queued(self, user_id: str) -> int:
        """Forget the jobs that have left the queue; how many."""
        _, gone = self.queued_jobs(user_id)
        if gone:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(user_id, QUEUED),
                UpdateExpression="DELETE jobs :gone",
                ExpressionAttributeValues={":gone": {"SS": gone}},
            )
        return len(gone)

    def settle(self, job: dict[str, Any]) -> float | None:
        """Release what an ended job did not spend of its reservation, once; the amount, or
        None when it was settled before (or reserved nothing: a job from before quotas)."""
        reserved = job.get("quota_reserved_usd")
        if reserved is None or job.get("quota_settled"):
            return None
        spent = min(max(float(job.get("cost_usd") or 0.0), 0.0), float(reserved))
        unspent = round(float(reserved) - spent, 10)
        user_id = job["user_id"]
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._jobs_table,
                    "Key": {"job_id": {"S": job["job_id"]}},
                    "UpdateExpression": "SET quota_settled = :true",
                    "ConditionExpression": "attribute_not_exists(quota_settled)",
                    "ExpressionAttributeValues": {":true": {"BOOL": True}},
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": self._key(user_id, QUEUED),
                    "UpdateExpression": "DELETE jobs :job",
                    "ExpressionAttributeValues": {":job": {"SS": [job["job_id"]]}},
                }
            },
        ]
        for period in (f"day#{job['quota_day']}", f"month#{job['quota_month']}"):
            items.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": self._key(user_id, period),
                        "UpdateExpression": "ADD reserved_usd :release",
                        "ExpressionAttributeValues": {":release": {"N": _number(-unspent)}},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return None  # settled by an earlier delivery of this release
            raise
        return unspent

    def allowance(self, user_id: str, now: datetime) -> dict[str, Any]:
        """What the user may still submit: the limits, and what is used of each."""
        periods = Periods.at(now)
        limits = self.limits
        day = self.used(user_id, f"day#{periods.day}")
        month = self.used(user_id, f"month#{periods.month}")
        waiting, _ = self.queued_jobs(user_id)
        return {
            "day": periods.day,
            "month": periods.month,
            "spend_per_day_usd": {"limit": limits.spend_per_day_usd, "used": round(day, 6)},
            "spend_per_month_usd": {"limit": limits.spend_per_month_usd, "used": round(month, 6)},
            "jobs_queued": {"limit": limits.jobs_queued, "used": len(waiting)},
            "records_per_job": {"limit": limits.records_per_job},
            "budget_per_job_usd": {"limit": limits.budget_per_job_usd},
        }

    @staticmethod
    def _key(user_id: str, period: str) -> dict[str, Any]:
        return {"user_id": {"S": user_id}, "period": {"S": period}}


def _number(value: float) -> str:
    return format(round(value, 10), "f")


def settle_job(quotas: QuotaStore, jobs: Any, job_id: str) -> float | None:
    """Release what the ended job ``job_id`` did not spend (once); None when nothing to do."""
    try:
        job = jobs.get(job_id)
    except NotFoundError:
        return None
    released = quotas.settle(job)
    if released is not None:
        LOGGER.info("released the unspent reservation", extra={"job_id": job_id, "usd": released})
    return released


def job_item_fields(budget_usd: float, periods: Periods) -> dict[str, Any]:
    """What the job item records of its reservation, for ``settle``."""
    return {
        "quota_reserved_usd": budget_usd,
        "quota_day": periods.day,
        "quota_month": periods.month,
    }
