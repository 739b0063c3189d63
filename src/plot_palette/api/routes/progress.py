"""``/jobs/{id}/snapshot``: a partial download of what a job has generated so far.

Writing it can outlast an API request, so ``POST`` records the request and starts the export
function asynchronously (202); ``GET`` reports NONE, PREPARING or READY with a presigned URL.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel

from plot_palette.api.identity import caller_id
from plot_palette.api.routes.jobs import owned_job
from plot_palette.errors import ConflictError
from plot_palette.exports.snapshot import record_request, snapshot_state
from plot_palette.jobs.status import JobStatus

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


class Snapshot(BaseModel):
    """A job's partial download: NONE (never asked), PREPARING, or READY with a 15-minute URL."""

    status: str
    requested_at: str | None = None
    created_at: str | None = None
    records: int | None = None
    bytes: int | None = None
    url: str | None = None


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the partial-download routes."""
    bucket = services.settings.bucket_name

    @app.post(
        "/jobs/<job_id>/snapshot",
        tags=["jobs"],
        summary="Prepare a download of the records a job has made so far",
        responses={202: {"description": "Preparing; poll GET /jobs/{job_id}/snapshot"}},
    )
    def request_snapshot(job_id: str) -> Response[Snapshot]:
        job = owned_job(services, caller_id(app), job_id)
        if job.get("status") == JobStatus.QUEUED:
            raise ConflictError(f"job {job_id} is still queued: it has made no records yet")
        requested_at = record_request(services.s3, bucket, job_id)
        services.lambda_.invoke(
            FunctionName=services.settings.export_function_name,
            InvocationType="Event",
            Payload=json.dumps(
                {"job_id": job_id, "snapshot": True, "requested_at": requested_at}
            ).encode(),
        )
        state = snapshot_state(services.s3, bucket, job_id)
        return Response(
            status_code=202,
            content_type="application/json",
            body=Snapshot.model_validate(state.as_dict()),
        )

    @app.get(
        "/jobs/<job_id>/snapshot",
        tags=["jobs"],
        summary="The state of a job's partial download, with its link once ready",
    )
    def get_snapshot(job_id: str) -> Snapshot:
        owned_job(services, caller_id(app), job_id)
        return Snapshot.model_validate(snapshot_state(services.s3, bucket, job_id).as_dict())
