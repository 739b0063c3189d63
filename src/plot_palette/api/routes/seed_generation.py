"""``POST /seed-data/generate``: seed records written by a model from a template's fields."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from plot_palette.api.identity import caller_id
from plot_palette.api.models_seed_generation import GeneratedSeedData, SeedGenerationRequest
from plot_palette.models.choice import open_model, single_model
from plot_palette.seed_data.generate import (
    PREVIEW_RECORDS,
    generate_seed_records,
    presign_generated_download,
    write_generated_seeds,
)
from plot_palette.templates import load_template, required_fields

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the seed generation route."""

    @app.post(
        "/seed-data/generate",
        tags=["seed data"],
        summary="Generate seed data (JSONL) for a template's fields with a model",
    )
    def generate_seed_data(request: Annotated[SeedGenerationRequest, Body()]) -> GeneratedSeedData:
        user_id = caller_id(app)
        saved = services.templates.get(user_id, request.template_id, request.version)
        runnable = services.templates.runnable(user_id, saved["document"])
        template = load_template(runnable, services.registry)
        fields = required_fields(template)
        spec = single_model(request.model, services.registry)
        with open_model(request.model) as choice:
            made = asyncio.run(
                generate_seed_records(
                    template,
                    fields,
                    request.count,
                    spec=spec,
                    choice=choice,
                    instructions=request.instructions,
                )
            )
        bucket = services.settings.bucket_name
        key = write_generated_seeds(services.s3, bucket, user_id, made.records)
        return GeneratedSeedData(
            key=key,
            download_url=presign_generated_download(services.s3, bucket, key),
            records=len(made.records),
            requested=made.requested,
            dropped=made.dropped,
            fields=fields,
            preview=made.records[:PREVIEW_RECORDS],
            model_id=spec.model_id,
            answered_by=choice.answered_by,
            input_tokens=made.input_tokens,
            output_tokens=made.output_tokens,
            cost_usd=made.cost_usd,
        )
