"""The committed OpenAPI document is the one the code generates."""

from __future__ import annotations

from plot_palette.api.openapi import DOCUMENT, openapi_document, render


def test_the_committed_document_matches_the_routes() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is stale: run `python -m plot_palette.api.openapi --write`"
    )


def test_every_route_requires_a_bearer_token() -> None:
    document = openapi_document()
    assert document["components"]["securitySchemes"]["cognito"]["scheme"] == "bearer"
    assert document["security"] == [{"cognito": []}]
    assert set(document["paths"]) == {
        "/jobs",
        "/jobs/estimate",
        "/jobs/{job_id}",
        "/dashboard/{job_id}",
        "/templates",
        "/templates/{template_id}",
        "/templates/{template_id}/versions",
        "/seed-data",
        "/seed-data/validate",
        "/sample-datasets",
    }
