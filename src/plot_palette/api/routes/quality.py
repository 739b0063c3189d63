"""``/jobs/{id}/quality``: the full quality report of one of the caller's finished jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plot_palette.api.identity import caller_id
from plot_palette.api.models_quality import QualityReport
from plot_palette.api.routes.jobs import owned_job
from plot_palette.errors import ConflictError, NotFoundError
from plot_palette.exports.batches import read_json_object
from plot_palette.jobs.status import FINAL_STATUSES
from plot_palette.quality.run import quality_key
from plot_palette.quality.summary import quality_summary

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the quality route."""

    @app.get(
        "/jobs/<job_id>/quality",
        tags=["jobs"],
        summary="The quality report of a finished job (409 while it runs)",
    )
    def get_quality(job_id: str) -> QualityReport:
        job = owned_job(services, caller_id(app), job_id)
        summary = quality_summary(job)
        if summary is None:
            if job["status"] not in {status.value for status in FINAL_STATUSES}:
                raise ConflictError(
                    f"job {job_id} is {job['status']}: its quality is assessed once it has ended"
                )
            raise NotFoundError(f"job {job_id} has no quality report (it made no records)")
        report: dict[str, Any] | None = None
        if summary.get("status") != "FAILED":
            report = read_json_object(
                services.s3, services.settings.bucket_name, quality_key(job_id)
            )
        return QualityReport.model_validate({"job_id": job_id, **(report or summary)})
