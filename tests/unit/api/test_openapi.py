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
        "/analytics/costs",
        "/batches",
        "/batches/estimate",
        "/batches/{batch_id}",
        "/dashboard/{job_id}",
        "/gallery",
        "/gallery/{gallery_id}",
        "/gallery/{gallery_id}/fork",
        "/jobs",
        "/jobs/estimate",
        "/jobs/{job_id}",
        "/jobs/{job_id}/quality",
        "/jobs/{job_id}/snapshot",
        "/quotas",
        "/sample-datasets",
        "/seed-data",
        "/seed-data/generate",
        "/seed-data/validate",
        "/settings/notifications",
        "/settings/notifications/rotate-secret",
        "/settings/notifications/test",
        "/templates",
        "/templates/import",
        "/templates/test-run",
        "/templates/{template_id}",
        "/templates/{template_id}/diff",
        "/templates/{template_id}/export",
        "/templates/{template_id}/publish",
        "/templates/{template_id}/versions",
        "/templates/{template_id}/versions/{version}/restore",
    }
