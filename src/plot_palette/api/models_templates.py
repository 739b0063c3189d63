"""Request and response models of the template features: YAML, diffs, restore, the gallery."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from plot_palette.api.models import Strict
from plot_palette.display_text import MultiLine, SingleLine, check
from plot_palette.templates.documents import MAX_YAML_CHARS

MAX_TAGS = 10


class TemplateYaml(BaseModel):
    """A template version as a YAML document."""

    template_id: str
    version: int
    yaml: str


class TemplateImport(Strict):
    """A YAML template file to save as a new template (its ``id`` and ``version`` are ignored)."""

    yaml: str = Field(min_length=1, max_length=MAX_YAML_CHARS)


class TemplateDiff(BaseModel):
    """A unified diff between two versions' YAML (empty when they are the same)."""

    template_id: str
    from_version: int
    to_version: int
    diff: str


class PublishRequest(Strict):
    """Publish one version of one of the caller's templates to the public gallery."""

    version: int = Field(ge=1, le=1_000_000)
    description: MultiLine = Field(min_length=1, max_length=2000)
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    display_name: SingleLine | None = Field(
        default=None,
        min_length=1,
        max_length=60,
        description="Shown as the author; leave it out to publish anonymously (the account's "
        "id and email are never shown).",
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        cleaned = []
        for tag in value:
            tag = tag.strip().lower()
            if not tag or len(tag) > 30:
                raise ValueError("a tag is 1 to 30 characters")
            check(tag)
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned


class GalleryEntry(BaseModel):
    """A published template in a list."""

    gallery_id: str
    name: str
    description: str
    tags: list[str]
    author: str | None = Field(description="The display name the publisher chose, if any.")
    forks: int
    published_at: str
    steps: int


class GalleryTemplate(GalleryEntry):
    """A published template with its document."""

    document: dict[str, Any]


class GalleryPage(BaseModel):
    entries: list[GalleryEntry]
    next_cursor: str | None = None
