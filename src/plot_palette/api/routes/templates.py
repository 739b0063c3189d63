"""``/templates``: create, new versions (old ones stay), read (own or built-in), list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from plot_palette.api.identity import caller_id
from plot_palette.api.models import (
    Template,
    TemplateDocument,
    TemplateList,
    TemplateSummary,
    TemplateVersion,
    TemplateVersions,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices


def register(app: APIGatewayHttpResolver, services: ApiServices) -> None:
    """Add the template routes."""

    @app.post(
        "/templates",
        tags=["templates"],
        summary="Save a new template (version 1)",
        responses={201: {"description": "Saved"}},
    )
    def create_template(request: Annotated[TemplateDocument, Body()]) -> Response[Template]:
        saved = services.templates.create(caller_id(app), request.document)
        return Response(
            status_code=201, content_type="application/json", body=Template.model_validate(saved)
        )

    @app.get("/templates", tags=["templates"], summary="The caller's and the built-in templates")
    def list_templates() -> TemplateList:
        found = services.templates.list_for_user(caller_id(app))
        return TemplateList(templates=[TemplateSummary.model_validate(t) for t in found])

    @app.get("/templates/<template_id>", tags=["templates"], summary="A template, any version")
    def get_template(
        template_id: str,
        version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    ) -> Template:
        return Template.model_validate(services.templates.get(caller_id(app), template_id, version))

    @app.put("/templates/<template_id>", tags=["templates"], summary="Save a new version")
    def put_template(template_id: str, request: Annotated[TemplateDocument, Body()]) -> Template:
        saved = services.templates.new_version(caller_id(app), template_id, request.document)
        return Template.model_validate(saved)

    @app.get(
        "/templates/<template_id>/versions", tags=["templates"], summary="A template's versions"
    )
    def list_versions(template_id: str) -> TemplateVersions:
        versions = services.templates.versions(caller_id(app), template_id)
        return TemplateVersions(
            template_id=template_id,
            versions=[TemplateVersion.model_validate(v) for v in versions],
        )
