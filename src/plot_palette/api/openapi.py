"""The OpenAPI document, generated from the routes: ``python -m plot_palette.api.openapi``.

The committed copy is ``docs/openapi.json``; a test fails when it and the code differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import (
    HTTPBearer,
)

from plot_palette.api.app import build_resolver
from plot_palette.api.services import ApiServices
from plot_palette.api.settings import ApiSettings
from plot_palette.models import ModelRegistry

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The document as a dict (no AWS access: the services are never called)."""
    settings = ApiSettings(
        bucket_name="-",
        jobs_table_name="-",
        queue_table_name="-",
        templates_table_name="-",
        cost_tracking_table_name="-",
        cluster_arn="-",
        export_function_name="-",
    )
    services = ApiServices(
        settings=settings,
        s3=None,
        dynamodb=None,
        sfn=None,
        ecs=None,
        registry=ModelRegistry.load(),
    )
    resolver = build_resolver(services)
    text = resolver.get_openapi_json_schema(
        title="Plot Palette API",
        version="1.0.0",
        description=(
            "Synthetic LLM training data: templates, seed data, jobs and their datasets. "
            "Every route needs a Cognito access or ID token as `Authorization: Bearer <JWT>`; "
            "another user's resource is a 404."
        ),
        security_schemes={"cognito": HTTPBearer(bearerFormat="JWT")},
        security=[{"cognito": []}],
    )
    document: dict[str, Any] = json.loads(text)
    return document


def render() -> str:
    """The document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    if "--write" in sys.argv:
        DOCUMENT.parent.mkdir(parents=True, exist_ok=True)
        DOCUMENT.write_text(render(), encoding="utf-8")
        print(f"wrote {DOCUMENT}")
    else:
        sys.stdout.write(render())
