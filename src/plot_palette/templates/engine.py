"""Loading (validating) templates and rendering their steps for one seed record."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Template, TemplateError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from pydantic import ValidationError

from plot_palette.errors import TemplateValidationError
from plot_palette.models.registry import ModelRegistry
from plot_palette.templates.analysis import parse, seed_paths, static_checks, step_references
from plot_palette.templates.filters import RECORD_SEED
from plot_palette.templates.model import PromptTemplate
from plot_palette.templates.sandbox import environment
from plot_palette.templates.seeds import MISSING, lookup


def _trees(template: PromptTemplate) -> dict[str, nodes.Template]:
    return {step.id: parse(step.prompt, f"step {step.id!r}") for step in template.steps}


def load_template(data: Any, registry: ModelRegistry | None = None) -> PromptTemplate:
    """Validate a template as a user saves it; every problem is a ``TemplateValidationError``."""
    if isinstance(data, PromptTemplate):
        data = data.model_dump()
    if not isinstance(data, dict):
        raise TemplateValidationError("a template must be a mapping of fields")
    try:
        template = PromptTemplate.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "template"
        raise TemplateValidationError(f"{where}: {first['msg']}") from None
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
        registry.resolve(step)
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
    """Dotted seed fields the template's prompts and output mapping read."""
    paths: set[str] = set()
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
    step = next(step for step in template.steps if step.id == step_id)
    context = {
        **seed,
        "steps": {done: {"output": text} for done, text in outputs.items()},
        RECORD_SEED: record_seed,
    }
    try:
        return _compiled(step.prompt).render(context)
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


def output_fields(
    template: PromptTemplate, seed: dict[str, Any], outputs: dict[str, str]
) -> dict[str, Any]:
    """The record's fields: the output mapping, or every step's output plus the seed fields used."""
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
    for path in required_fields(template):
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
