"""``/templates`` and ``/gallery``: create, version, read, list; YAML import and export, diffs,
restore; publish to, search, read, unpublish and fork from the public gallery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

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
from plot_palette.api.models_templates import (
    GalleryEntry,
    GalleryPage,
    GalleryTemplate,
    PublishRequest,
    TemplateDiff,
    TemplateImport,
    TemplateYaml,
)
from plot_palette.errors import NotFoundError
from plot_palette.templates.documents import diff_documents, from_yaml, to_yaml

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from plot_palette.api.services import ApiServices

MAX_GALLERY_PAGE = 50


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

    @app.get(
        "/templates/<template_id>/export",
        tags=["templates"],
        summary="A template version as a YAML document",
    )
    def export_template(
        template_id: str,
        version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    ) -> TemplateYaml:
        found = services.templates.get(caller_id(app), template_id, version)
        return TemplateYaml(
            template_id=template_id, version=found["version"], yaml=to_yaml(found["document"])
        )

    @app.post(
        "/templates/import",
        tags=["templates"],
        summary="Save a YAML template file as a new template (version 1)",
        responses={201: {"description": "Saved"}},
    )
    def import_template(request: Annotated[TemplateImport, Body()]) -> Response[Template]:
        saved = services.templates.create(caller_id(app), from_yaml(request.yaml))
        return Response(
            status_code=201, content_type="application/json", body=Template.model_validate(saved)
        )

    @app.get(
        "/templates/<template_id>/diff",
        tags=["templates"],
        summary="A unified diff between two versions' YAML",
    )
    def diff_versions(
        template_id: str,
        from_version: Annotated[int, Query(alias="from", ge=1, le=1_000_000)],
        to_version: Annotated[int, Query(alias="to", ge=1, le=1_000_000)],
    ) -> TemplateDiff:
        user_id = caller_id(app)
        old = services.templates.get(user_id, template_id, from_version)["document"]
        new = services.templates.get(user_id, template_id, to_version)["document"]
        return TemplateDiff(
            template_id=template_id,
            from_version=from_version,
            to_version=to_version,
            diff=diff_documents(template_id, old, new, from_version, to_version),
        )

    @app.post(
        "/templates/<template_id>/versions/<version>/restore",
        tags=["templates"],
        summary="Save a copy of an old version as the newest version",
        responses={201: {"description": "Saved as a new version"}},
    )
    def restore_version(template_id: str, version: str) -> Response[Template]:
        wanted = _version_number(version)
        saved = services.templates.restore(caller_id(app), template_id, wanted)
        return Response(
            status_code=201, content_type="application/json", body=Template.model_validate(saved)
        )

    @app.post(
        "/templates/<template_id>/publish",
        tags=["gallery"],
        summary="Publish a snapshot of one version to the public gallery",
        responses={201: {"description": "Published"}},
    )
    def publish_template(
        template_id: str, request: Annotated[PublishRequest, Body()]
    ) -> Response[GalleryTemplate]:
        published = services.gallery.publish(
            caller_id(app),
            template_id,
            request.version,
            description=request.description,
            tags=request.tags,
            display_name=request.display_name,
        )
        return Response(
            status_code=201,
            content_type="application/json",
            body=GalleryTemplate.model_validate(published),
        )

    @app.get(
        "/gallery", tags=["gallery"], summary="Search published templates, newest or most forked"
    )
    def search_gallery(
        q: Annotated[str, Query(max_length=100)] = "",
        sort: Annotated[Literal["recent", "forks"], Query()] = "recent",
        limit: Annotated[int, Query(ge=1, le=MAX_GALLERY_PAGE)] = 20,
        cursor: Annotated[str | None, Query(max_length=2000)] = None,
    ) -> GalleryPage:
        caller_id(app)
        entries, following = services.gallery.search(q, sort, limit, cursor)
        return GalleryPage(
            entries=[GalleryEntry.model_validate(entry) for entry in entries],
            next_cursor=following,
        )

    @app.get("/gallery/<gallery_id>", tags=["gallery"], summary="A published template")
    def get_gallery_template(gallery_id: str) -> GalleryTemplate:
        caller_id(app)
        return GalleryTemplate.model_validate(services.gallery.get(gallery_id))

    @app.delete(
        "/gallery/<gallery_id>",
        tags=["gallery"],
        summary="Unpublish one of the caller's gallery templates",
        responses={204: {"description": "Unpublished"}},
    )
    def unpublish(gallery_id: str) -> Response[str]:
        services.gallery.unpublish(caller_id(app), gallery_id)
        return Response(status_code=204, content_type="application/json", body="")

    @app.post(
        "/gallery/<gallery_id>/fork",
        tags=["gallery"],
        summary="Copy a published template into the caller's templates (version 1)",
        responses={201: {"description": "Forked"}},
    )
    def fork_template(gallery_id: str) -> Response[Template]:
        saved = services.gallery.fork(caller_id(app), gallery_id)
        return Response(
            status_code=201, content_type="application/json", body=Template.model_validate(saved)
        )


def _version_number(text: str) -> int:
    """A version in a path: a whole number from 1 (anything else names no version: 404)."""
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise NotFoundError(f"version {text[:20]} not found")
    return int(text)
