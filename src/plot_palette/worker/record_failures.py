"""Records the worker gives up on, so one bad record never stops a job (issue #16).

A record whose prompt cannot be rendered (a template error, a render over its budget) or whose
model call keeps failing (refused as invalid, no answer after the client's own retries) is tried
again, then settled as *failed*: it is not written, the job counts it with its reason, and the
worker moves on. A record that wedged two workers (``worker.watchdog``) is *poison*: it is
settled as failed without being tried again.

What is not a record's fault fails the job as before: a storage or ledger error, an access
denial, a bug. And when records fail one after another without a single success between them,
the cause is the job's, not a record's (a model the account cannot call, a template that fails
on every seed): the job fails with the reason instead of settling every record as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from plot_palette.errors import ModelInvocationError, PlotPaletteError, TemplateValidationError

if TYPE_CHECKING:
    from plot_palette.generation import GeneratedRecord
    from plot_palette.worker.checkpoint import Checkpoint

# The errors that belong to one record; anything else is the job's.
RECORD_ERRORS: tuple[type[Exception], ...] = (TemplateValidationError, ModelInvocationError)
# Workers a record may wedge before it is skipped as poison.
POISON_WEDGES = 2
# How many failed records keep their reason in the checkpoint and on the job.
MAX_EXAMPLES = 20
MAX_REASON_CHARS = 300
POISON = "PoisonRecord"


class RecordsKeepFailingError(PlotPaletteError):
    """Too many records in a row failed: the job, not a record, is at fault."""


@dataclass(frozen=True)
class FailedRecord:
    """A record settled as failed: its index, the error's name and what it said."""

    index: int
    error: str
    reason: str

    @classmethod
    def of(cls, index: int, error: Exception) -> FailedRecord:
        return cls(index, type(error).__name__, str(error) or type(error).__name__)

    @classmethod
    def poison(cls, index: int, wedges: int) -> FailedRecord:
        return cls(
            index,
            POISON,
            f"record {index} stopped {wedges} workers (nothing finished while it ran); skipped",
        )


def settle_failures(checkpoint: Checkpoint, failed: list[FailedRecord]) -> None:
    """Count ``failed`` in the checkpoint: totals by error and the first few reasons."""
    if not failed:
        return
    checkpoint.records_failed += len(failed)
    by_error: dict[str, int] = checkpoint.failures.setdefault("by_error", {})
    examples: list[dict[str, Any]] = checkpoint.failures.setdefault("examples", [])
    for record in failed:
        by_error[record.error] = by_error.get(record.error, 0) + 1
        if len(examples) < MAX_EXAMPLES:
            examples.append(
                {
                    "record": record.index,
                    "error": record.error,
                    "reason": record.reason[:MAX_REASON_CHARS],
                }
            )


class FailureStreak:
    """Counts records that failed one after another, in index order, across batches."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.last: FailedRecord | None = None

    def add(self, settled: list[GeneratedRecord | FailedRecord]) -> RecordsKeepFailingError | None:
        """Feed the batch's settled records; the error to fail the job with, if any."""
        for item in settled:
            if isinstance(item, FailedRecord):
                if item.error == POISON:
                    continue  # a poison record says nothing about the others
                self.count += 1
                self.last = item
            else:
                self.count = 0
        if self.limit and self.count >= self.limit and self.last is not None:
            return RecordsKeepFailingError(
                f"{self.count} records in a row failed, the last with "
                f"{self.last.error}: {self.last.reason[:MAX_REASON_CHARS]}"
            )
        return None
