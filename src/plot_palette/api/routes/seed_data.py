"""``/seed-data`` and ``/sample-datasets``: presigned uploads, validation, the shared samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from plot_palette.api.identity import caller_id
from plot_palette.api.models import (
    SampleDataset,
    SampleDatasetList,
    SeedUpload,
    SeedUploadRequest,
    SeedValidation,
    SeedValidationRequest,
)
from plot_palette.seed_data import list_sample_datasets, presign_seed_upload, read_seed_source
from plot_palette.templates import load_template, parse_seed_data, required_fields
from plot_palette.templates.seeds import missing_by_record

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices

MAX_REPORTED = 100


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the seed data routes."""
    bucket = services.settings.bucket_name

    @app.post("/seed-data", tags=["seed data"], summary="A presigned PUT URL for a seed file")
    def create_upload(request: Annotated[SeedUploadRequest, Body()]) -> SeedUpload:
        upload = presign_seed_upload(
            services.s3,
            bucket,
            caller_id(app),
            filename=request.filename,
            content_type=request.content_type,
            size=request.size_bytes,
        )
        return SeedUpload.model_validate(upload)

    @app.post(
        "/seed-data/validate", tags=["seed data"], summary="Check seed data against a template"
    )
    def validate_seed(request: Annotated[SeedValidationRequest, Body()]) -> SeedValidation:
        user_id = caller_id(app)
        _, raw = read_seed_source(
            services.s3,
            bucket,
            user_id,
            sample_dataset=request.sample_dataset,
            seed_data_key=request.seed_data_key,
        )
        document = services.templates.get(user_id, request.template_id, request.template_version)
        runnable = services.templates.runnable(user_id, document["document"])
        template = load_template(runnable, services.registry)
        required = sorted(required_fields(template))
        records = parse_seed_data(raw)
        missing = [
            {"record": number, "fields": absent}
            for number, absent in missing_by_record(records, required)[:MAX_REPORTED]
        ]
        return SeedValidation(
            valid=not missing, records=len(records), required_fields=required, missing=missing
        )

    @app.get("/sample-datasets", tags=["seed data"], summary="The sample datasets anyone may use")
    def sample_datasets() -> SampleDatasetList:
        caller_id(app)
        found = list_sample_datasets(services.s3, bucket)
        return SampleDatasetList(datasets=[SampleDataset.model_validate(d) for d in found])
