"""``/batches``: parameter sweeps - submit (every job checked first), list, compare, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from plot_palette.api.cursor import decode_cursor, encode_cursor
from plot_palette.api.idempotency import IdempotencyKeyHeader, submission_responses
from plot_palette.api.identity import caller_id
from plot_palette.api.models import CreateJobRequest, Job
from plot_palette.api.models_batches import (
    Batch,
    BatchEstimate,
    BatchPage,
    BatchSummary,
    CreateBatchRequest,
    CreateBatchResponse,
)
from plot_palette.api.routes.jobs import created_response, job_inputs
from plot_palette.batches.compare import batch_view
from plot_palette.batches.service import cancel_batch, prepare, submit_batch
from plot_palette.batches.store import BatchesStore
from plot_palette.jobs.cancel import cancel_job
from plot_palette.jobs.dashboard import public_job

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices

MAX_PAGE = 100


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the batch routes."""

    def store() -> BatchesStore:
        settings = services.settings
        return BatchesStore(
            services.dynamodb, settings.batches_table_name, settings.jobs_table_name
        )

    def resolver(user_id: str) -> Any:
        def resolve(request: CreateJobRequest) -> tuple[dict[str, Any], str, bytes]:
            """The template document and seed data a job request names (as POST /jobs)."""
            return job_inputs(services, user_id, request)

        return resolve

    def canceller(user_id: str) -> Callable[[str], dict[str, Any]]:
        """Cancel one of the caller's jobs (as DELETE /jobs/{id} does)."""

        def cancel(job_id: str) -> dict[str, Any]:
            return cancel_job(
                job_id,
                user_id,
                jobs=services.jobs,
                admission=services.admission,
                ecs=services.ecs,
                cluster=services.settings.cluster_arn,
            )

        return cancel

    def view(batch_id: str, user_id: str) -> Batch:
        batches = store()
        batch = batches.get_owned(batch_id, user_id)
        return Batch.model_validate(batch_view(batch, batches.jobs_of(batch_id, user_id)))

    @app.post(
        "/batches/estimate",
        tags=["batches"],
        summary="How many jobs a sweep makes and what they would cost; creates nothing",
    )
    def estimate_batch(request: Annotated[CreateBatchRequest, Body()]) -> BatchEstimate:
        prepared = prepare(
            request.job,
            request.sweep.values(),
            resolve=resolver(caller_id(app)),
            registry=services.registry,
        )
        return BatchEstimate(
            job_count=len(prepared),
            expected_cost_usd=round(sum(job.estimate.expected_cost for job in prepared), 6),
            max_cost_usd=round(sum(job.estimate.max_cost for job in prepared), 6),
            jobs=[
                {
                    "params": job.variant.params,
                    "name": job.spec.name,
                    "expected_cost_usd": round(job.estimate.expected_cost, 6),
                }
                for job in prepared
            ],
        )

    @app.post(
        "/batches",
        tags=["batches"],
        summary=(
            "Check, estimate and queue every job of a parameter sweep (at most 20), once per "
            "Idempotency-Key"
        ),
        responses=submission_responses("Queued"),
    )
    def create_batch(
        request: Annotated[CreateBatchRequest, Body()],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[CreateBatchResponse]:
        user_id = caller_id(app)

        def create() -> dict[str, Any]:
            batch, jobs = submit_batch(
                request.name,
                request.job,
                request.sweep.values(),
                user_id=user_id,
                resolve=resolver(user_id),
                registry=services.registry,
                stores=services.stores,
                batches=store(),
                cancel=canceller(user_id),
            )
            created = CreateBatchResponse(
                batch=Batch.model_validate(batch_view(batch, jobs)),
                jobs=[Job.model_validate(public_job(job)) for job in jobs],
            )
            return created.model_dump(mode="json")

        submitted = services.submissions.once(
            "batches",
            user_id=user_id,
            key=idempotency_key,
            request=request.model_dump(mode="json"),
            create=create,
            context=app.lambda_context,
        )
        return created_response(submitted)

    @app.get("/batches", tags=["batches"], summary="The caller's batches, newest first")
    def list_batches(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 25,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> BatchPage:
        items, following = store().page_for_user(caller_id(app), limit, decode_cursor(cursor))
        return BatchPage(
            batches=[
                BatchSummary.model_validate(
                    {**item, "dimensions": batch_view(item, [])["dimensions"]}
                )
                for item in items
            ],
            next_cursor=encode_cursor(following),
        )

    @app.get(
        "/batches/<batch_id>",
        tags=["batches"],
        summary="One of the caller's batches: status from its jobs, and their comparison",
    )
    def get_batch(batch_id: str) -> Batch:
        return view(batch_id, caller_id(app))

    @app.delete(
        "/batches/<batch_id>", tags=["batches"], summary="Cancel every unfinished job of a batch"
    )
    def delete_batch(batch_id: str) -> Batch:
        user_id = caller_id(app)
        batches = store()
        batches.get_owned(batch_id, user_id)

        cancel_batch(batches.jobs_of(batch_id, user_id), canceller(user_id))
        return view(batch_id, user_id)
