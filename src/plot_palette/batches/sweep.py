"""Expanding a sweep into jobs: the cartesian product of its dimensions, applied to a base job.

A sweep names one or more dimensions, each with the values to try::

    {"records": [50, 100], "model": ["tier-1", {"answer": "tier-3"}]}   # 4 jobs

``model`` puts every step (a string) or the named steps (a mapping) on a model or a tier;
``temperature`` sets every step's temperature; ``template_version``, ``seed_data_key``,
``sample_dataset`` and ``records`` replace the base job's field. Unknown dimensions are refused
by the request model; a product over ``MAX_BATCH_JOBS`` is refused here, before anything else.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from plot_palette.errors import PlotPaletteError, TemplateValidationError
from plot_palette.models import ModelRegistry

MAX_BATCH_JOBS = 20
# The order dimensions are applied and shown in (a stable order makes stable job names).
DIMENSIONS = (
    "model",
    "temperature",
    "template_version",
    "seed_data_key",
    "sample_dataset",
    "records",
)
# Dimensions that replace a field of the job request as they are.
REQUEST_FIELDS = {"template_version", "seed_data_key", "sample_dataset", "records"}


@dataclass(frozen=True)
class Variant:
    """One job of a batch: the values it takes along each swept dimension."""

    index: int
    params: dict[str, Any]

    @property
    def label(self) -> str:
        """``records=50, model=tier-1``: what sets this job apart, for its name."""
        return ", ".join(f"{name}={_short(value)}" for name, value in self.params.items())


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def expand(sweep: dict[str, list[Any]]) -> list[Variant]:
    """Every combination of the swept values, in a stable order; refuses more than 20."""
    dimensions = [name for name in DIMENSIONS if sweep.get(name)]
    if not dimensions:
        raise PlotPaletteError("a sweep needs at least one dimension with values")
    count = 1
    for name in dimensions:
        count *= len(sweep[name])
    if count > MAX_BATCH_JOBS:
        sizes = " x ".join(f"{len(sweep[name])} {name}" for name in dimensions)
        raise PlotPaletteError(
            f"this sweep makes {count} jobs ({sizes}); a batch holds at most {MAX_BATCH_JOBS}"
        )
    if "seed_data_key" in dimensions and "sample_dataset" in dimensions:
        raise PlotPaletteError("sweep seed_data_key or sample_dataset, not both")
    combos = itertools.product(*(sweep[name] for name in dimensions))
    return [
        Variant(index, dict(zip(dimensions, combo, strict=True)))
        for index, combo in enumerate(combos)
    ]


def request_changes(params: dict[str, Any]) -> dict[str, Any]:
    """The job request fields a variant replaces (one seed source replaces the other)."""
    changes = {name: value for name, value in params.items() if name in REQUEST_FIELDS}
    if "seed_data_key" in params:
        changes["sample_dataset"] = None
    if "sample_dataset" in params:
        changes["seed_data_key"] = None
    return changes


def apply_to_template(
    document: dict[str, Any], params: dict[str, Any], registry: ModelRegistry
) -> dict[str, Any]:
    """The template document with the variant's models and temperature on its steps.

    The template itself (and its saved versions) is not changed: the job's config freezes the
    document it ran with, as for any job.
    """
    if "model" not in params and "temperature" not in params:
        return document
    steps = [dict(step) for step in document.get("steps") or [] if isinstance(step, dict)]
    ids = [step.get("id") for step in steps]
    choice = params.get("model")
    if choice is not None:
        wanted = choice if isinstance(choice, dict) else dict.fromkeys(ids, choice)
        unknown = sorted(set(wanted) - set(ids))
        if unknown:
            raise TemplateValidationError(
                f"model sweep names step {unknown[0]!r}, which the template does not have "
                f"(steps: {', '.join(str(i) for i in ids)})"
            )
        for step in steps:
            if step.get("id") in wanted:
                _put_on(step, str(wanted[step["id"]]), registry)
    if "temperature" in params:
        for step in steps:
            step["temperature"] = params["temperature"]
    return {**document, "steps": steps}


def _put_on(step: dict[str, Any], name: str, registry: ModelRegistry) -> None:
    """Point a step at a tier (a tier name or alias) or else at a model id."""
    step.pop("model", None)
    step.pop("model_tier", None)
    try:
        registry.tier_name(name)
    except TemplateValidationError:
        step["model"] = name
    else:
        step["model_tier"] = name


def params_text(params: dict[str, Any]) -> str:
    """The varied parameters as the job item keeps them (JSON text)."""
    return json.dumps(params, sort_keys=False, ensure_ascii=False)
