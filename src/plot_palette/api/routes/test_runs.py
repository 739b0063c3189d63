"""``POST /templates/test-run``: a template run on a few seed records, every prompt shown."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Body

from plot_palette.api.identity import caller_id
from plot_palette.api.models_test_runs import TestRunRequest, TestRunResult
from plot_palette.generation.test_run import TEST_RUN_ID, prepare_template, run_test
from plot_palette.models.choice import open_model
from plot_palette.seed_data import read_seed_source
from plot_palette.templates import parse_seed_data

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the test-run route."""

    @app.post(
        "/templates/test-run",
        tags=["templates"],
        summary="Run a template on 1-5 seed records (the free local model by default)",
    )
    def test_run(request: Annotated[TestRunRequest, Body()]) -> TestRunResult:
        user_id = caller_id(app)
        if request.template is not None:
            document: dict[str, Any] = {"id": TEST_RUN_ID, "name": "Test run", **request.template}
        else:
            assert request.template_id is not None  # the model's validator guarantees one
            saved = services.templates.get(user_id, request.template_id, request.template_version)
            document = saved["document"]
        if request.seeds is not None:
            seeds = request.seeds
        else:
            _, raw = read_seed_source(
                services.s3,
                services.settings.bucket_name,
                user_id,
                sample_dataset=request.sample_dataset,
                seed_data_key=request.seed_data_key,
            )
            seeds = parse_seed_data(raw)[: request.count]
        # includes are expanded as for a job: only the caller's own and built-in templates
        runnable = services.templates.runnable(user_id, document)
        template = prepare_template(runnable, request.model, services.registry)
        with open_model(request.model) as choice:
            run = asyncio.run(
                run_test(
                    template, seeds, model=request.model, choice=choice, registry=services.registry
                )
            )
        return TestRunResult.model_validate(run.as_dict())
