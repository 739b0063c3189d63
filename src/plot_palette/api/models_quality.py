"""Response body of ``GET /jobs/{id}/quality``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class QualityReport(BaseModel):
    """A finished job's quality: statistics on every record, the judge's scores of a sample."""

    job_id: str
    status: str = Field(description="COMPLETED, SKIPPED or FAILED")
    reason: str | None = None
    stats: dict[str, Any] | None = None
    judge: dict[str, Any] | None = None
    assessed_at: str | None = None
    sample_size: int | None = None
    samples: dict[str, Any] | None = Field(
        default=None, description="Requested, scored and failed judge samples and their scores."
    )
