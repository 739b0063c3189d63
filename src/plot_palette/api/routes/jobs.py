"""``/jobs``: submit (validated and estimated), list newest first, read, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from plot_palette.api.cursor import decode_cursor, encode_cursor
from plot_palette.api.idempotency import (
    REPLAYED_HEADER,
    IdempotencyKeyHeader,
    Submitted,
    submission_responses,
)
from plot_palette.api.identity import caller_id
from plot_palette.api.models import (
    Allowance,
    CreateJobRequest,
    CreateJobResponse,
    Dashboard,
    Estimate,
    Job,
    JobPage,
)
from plot_palette.errors import NotFoundError
from plot_palette.jobs.cancel import cancel_job
from plot_palette.jobs.dashboard import public_job
from plot_palette.jobs.spec import JobSpec
from plot_palette.jobs.submit import estimate_submission, queue_job
from plot_palette.seed_data import read_seed_source

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices

MAX_PAGE = 100


def owned_job(services: ApiServices, user_id: str, job_id: str) -> dict[str, Any]:
    """The caller's job; someone else's is reported exactly like a missing one."""
    job = services.jobs.get(job_id)
    if job.get("user_id") != user_id:
        raise NotFoundError(f"job {job_id} not found")
    return job


def job_inputs(
    services: ApiServices, user_id: str, request: CreateJobRequest
) -> tuple[dict[str, Any], str, bytes]:
    """The template document (includes expanded) and the seed data a job request names.

    Includes are expanded now, so a job's config holds their text as of its submission; the
    template and seed data must be the caller's own or built-in/shared ones.
    """
    if request.template is not None:
        template = request.template
    else:
        assert request.template_id is not None  # the model's validator guarantees one
        template = services.templates.get(user_id, request.template_id, request.template_version)[
            "document"
        ]
    template = services.templates.runnable(user_id, template)
    seed_key, seed_bytes = read_seed_source(
        services.s3,
        services.settings.bucket_name,
        user_id,
        sample_dataset=request.sample_dataset,
        seed_data_key=request.seed_data_key,
    )
    return template, seed_key, seed_bytes


def created_response(submitted: Submitted) -> Response[Any]:
    """201 with the created body; a replay of an Idempotency-Key's first response says so."""
    headers = {REPLAYED_HEADER: "true"} if submitted.replayed else None
    return Response(
        status_code=201, content_type="application/json", body=submitted.body, headers=headers
    )


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the job routes."""

    def inputs(request: CreateJobRequest) -> tuple[str, dict[str, Any], str, bytes]:
        """The caller's user id, the template document and the seed data the request names."""
        user_id = caller_id(app)
        return (user_id, *job_inputs(services, user_id, request))

    @app.post(
        "/jobs/estimate",
        tags=["jobs"],
        summary="What a job would cost, with every check a submission makes; queues nothing",
    )
    def estimate(request: Annotated[CreateJobRequest, Body()]) -> Estimate:
        _, template, _, seed_bytes = inputs(request)
        *_, found = estimate_submission(template, seed_bytes, request.records, services.registry)
        return Estimate.model_validate(found.as_dict())

    @app.post(
        "/jobs",
        tags=["jobs"],
        summary="Validate, estimate and queue a job (once per Idempotency-Key)",
        responses=submission_responses("Queued"),
    )
    def create_job(
        request: Annotated[CreateJobRequest, Body()],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CreateJobResponse]:
        user_id = caller_id(app)

        def create() -> dict[str, Any]:
            _, template, seed_key, seed_bytes = inputs(request)
            spec = JobSpec(
                name=request.name,
                template=template,
                seed_data=seed_key,
                records=request.records,
                budget_usd=request.budget_usd,
                priority=request.priority,
                category_field=request.category_field,
                chat_format=request.chat_format,
                quality_sample=request.quality_sample,
            )
            submission = queue_job(
                spec,
                template,
                seed_bytes,
                user_id=user_id,
                stores=services.stores,
                registry=services.registry,
                seed_key=seed_key,
            )
            created = CreateJobResponse.model_validate(
                {"job": public_job(submission.job), "estimate": submission.estimate.as_dict()}
            )
            return created.model_dump(mode="json")

        submitted = services.submissions.once(
            "jobs",
            user_id=user_id,
            key=idempotency_key,
            request=request.model_dump(mode="json"),
            create=create,
            context=app.lambda_context,
        )
        return created_response(submitted)

    @app.get("/quotas", tags=["jobs"], summary="The caller's quotas and what is used of them")
    def get_quotas() -> Allowance:
        return Allowance.model_validate(
            services.quotas.allowance(caller_id(app), datetime.now(UTC))
        )

    @app.get("/jobs", tags=["jobs"], summary="The caller's jobs, newest first")
    def list_jobs(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 25,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> JobPage:
        items, following = services.jobs.page_for_user(caller_id(app), limit, decode_cursor(cursor))
        return JobPage(
            jobs=[Job.model_validate(public_job(item)) for item in items],
            next_cursor=encode_cursor(following),
        )

    @app.get("/jobs/<job_id>", tags=["jobs"], summary="One of the caller's jobs")
    def get_job(job_id: str) -> Job:
        return Job.model_validate(public_job(owned_job(services, caller_id(app), job_id)))

    @app.delete("/jobs/<job_id>", tags=["jobs"], summary="Cancel a queued or running job")
    def delete_job(job_id: str) -> Job:
        job = cancel_job(
            job_id,
            caller_id(app),
            jobs=services.jobs,
            admission=services.admission,
            ecs=services.ecs,
            cluster=services.settings.cluster_arn,
        )
        return Job.model_validate(public_job(job))

    @app.get("/dashboard/<job_id>", tags=["jobs"], summary="Everything the job page shows")
    def get_dashboard(job_id: str) -> Dashboard:
        job = owned_job(services, caller_id(app), job_id)
        return Dashboard.model_validate(services.dashboard.view(job))
