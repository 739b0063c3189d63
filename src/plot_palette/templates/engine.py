"""Loading (validating) templates and rendering their steps for one seed record.

``load_template`` is where every check happens — when a user saves a template, not when a job
runs: its shape, each prompt's syntax and sandbox rules, step order, models and tiers in the
region, each step's ``max_tokens`` against its model's context window, and the output mapping.
``render_step`` is the per-record path, kept cheap: compiled prompts are cached by source.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Template, TemplateError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from pydantic import ValidationError

from plot_palette.errors import TemplateValidationError
from plot_palette.models.registry import ModelRegistry
from plot_palette.templates.analysis import parse, seed_paths, static_checks, step_references
from plot_palette.templates.budget import render_budget
from plot_palette.templates.filters import RECORD_SEED
from plot_palette.templates.model import PromptTemplate
from plot_palette.templates.sandbox import MAX_RENDERED_CHARS, environment
from plot_palette.templates.seeds import MISSING, lookup


def _trees(template: PromptTemplate) -> dict[str, nodes.Template]:
    return {step.id: parse(step.prompt, f"step {step.id!r}") for step in template.steps}


def parse_document(data: Any) -> PromptTemplate:
    """Check only a template's shape (fields, types, limits); ``load_template`` checks the rest.

    Include resolution needs the shape first (which steps, which prompts) but must run before
    the prompts are analysed, because a prompt still holding ``{% include %}`` is refused.
    """
    if isinstance(data, PromptTemplate):
        return data
    if not isinstance(data, dict):
        raise TemplateValidationError("a template must be a mapping of fields")
    try:
        return PromptTemplate.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "template"
        raise TemplateValidationError(f"{where}: {first['msg']}") from None


def load_template(data: Any, registry: ModelRegistry | None = None) -> PromptTemplate:
    """Validate a template as a user saves it; every problem is a ``TemplateValidationError``."""
    if isinstance(data, PromptTemplate):
        data = data.model_dump()
    template = parse_document(data)
    seen: set[str] = set()
    registry = registry or ModelRegistry.load()
    trees = _trees(template)
    for step in template.steps:
        where = f"step {step.id!r}"
        if step.id in seen:
            raise TemplateValidationError(f"duplicate step id {step.id!r}")
        static_checks(trees[step.id], where)
        for reference in sorted(step_references(trees[step.id])):
            if reference == step.id:
                raise TemplateValidationError(f"{where} reads its own output")
            if reference not in template.step_ids:
                raise TemplateValidationError(f"{where} reads unknown step {reference!r}")
            if reference not in seen:
                raise TemplateValidationError(
                    f"{where} reads step {reference!r}, which runs after it"
                )
        spec = registry.resolve(step)
        if step.output_allowance >= spec.context_window:
            raise TemplateValidationError(
                f"{where}: max_tokens {step.output_allowance} does not fit the "
                f"{spec.context_window:,}-token context window of {spec.model_id}"
            )
        seen.add(step.id)
    for field, source in (template.output or {}).items():
        head = source.split(".", 1)[0]
        if head == "steps":
            parts = source.split(".")
            if len(parts) != 3 or parts[1] not in template.step_ids or parts[2] != "output":
                raise TemplateValidationError(
                    f"output field {field!r}: {source!r} must be steps.<step id>.output"
                )
        elif head.startswith("_"):
            raise TemplateValidationError(f"output field {field!r}: {source!r} is not allowed")
    return template


def required_fields(template: PromptTemplate) -> list[str]:
    """Dotted seed fields every seed record must have for this template (ADR-017).

    The fields the prompts read (see ``analysis.seed_paths``), the seed fields of the output
    mapping, and the template's declared ``schema_requirements``; a field whose sub-fields are
    listed is implied by them and not listed itself.

    >>> from plot_palette.models import ModelRegistry
    >>> template = load_template({"id": "t", "name": "T", "steps": [{"id": "s",
    ...     "prompt": "{{ author.name }}: {{ poem.text[:80] | truncate_tokens(10) }}",
    ...     "model_tier": "cheap"}]}, ModelRegistry.load("us-east-1"))
    >>> required_fields(template)
    ['author.name', 'poem.text']
    """
    paths: set[str] = set(template.schema_requirements or [])
    for tree in _trees(template).values():
        paths |= seed_paths(tree)
    for source in (template.output or {}).values():
        if not source.startswith("steps."):
            paths.add(source)
    return sorted(path for path in paths if not any(p.startswith(path + ".") for p in paths))


@cache
def _compiled(source: str) -> Template:
    return environment().from_string(source)


def render_step(
    template: PromptTemplate,
    step_id: str,
    seed: dict[str, Any],
    outputs: dict[str, str],
    *,
    record_seed: str,
) -> str:
    """Render one step's prompt for a seed record and the outputs of the steps before it."""
    step = template.step(step_id)
    context = {
        **seed,
        "steps": {done: {"output": text} for done, text in outputs.items()},
        RECORD_SEED: record_seed,
    }
    try:
        with render_budget():
            prompt = _render_bounded(_compiled(step.prompt), context)
    except UndefinedError as error:
        raise TemplateValidationError(f"step {step_id!r}: {error.message}") from None
    except SecurityError as error:
        raise TemplateValidationError(f"step {step_id!r}: not allowed: {error}") from None
    except TemplateError as error:
        raise TemplateValidationError(f"step {step_id!r}: {error}") from None
    except Exception as error:  # a user's template must never surface a Python traceback
        raise TemplateValidationError(
            f"step {step_id!r}: the prompt could not be rendered ({type(error).__name__})"
        ) from None
    if prompt is None:
        raise TemplateValidationError(
            f"step {step_id!r}: the rendered prompt is over {MAX_RENDERED_CHARS:,} characters"
        )
    return prompt


def _render_bounded(compiled: Template, context: dict[str, Any]) -> str | None:
    """Render piece by piece, giving up (``None``) once the text passes the size limit."""
    pieces: list[str] = []
    size = 0
    for piece in compiled.generate(context):
        size += len(piece)
        if size > MAX_RENDERED_CHARS:
            return None
        pieces.append(piece)
    return "".join(pieces)


def output_fields(
    template: PromptTemplate,
    seed: dict[str, Any],
    outputs: dict[str, str],
    *,
    required: list[str] | None = None,
) -> dict[str, Any]:
    """The record's fields: the output mapping, or every step's output plus the seed fields used.

    ``required`` is ``required_fields(template)``; the engine passes it in so the prompts are
    not analysed again for every record.
    """
    if template.output:
        fields: dict[str, Any] = {}
        for field, source in template.output.items():
            if source.startswith("steps."):
                fields[field] = outputs[source.split(".")[1]]
            else:
                value = lookup(seed, source)
                fields[field] = None if value is MISSING else value
        return fields
    fields = {}
    for path in required_fields(template) if required is None else required:
        value = lookup(seed, path)
        if value is MISSING:
            continue
        target = fields
        parts = path.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    fields.update(outputs)
    return fields
