"""Sweep expansion: the cartesian product, in a stable order, at most 20 jobs."""

from __future__ import annotations

import pytest

from plot_palette.batches.sweep import (
    apply_to_template,
    expand,
    request_changes,
)
from plot_palette.errors import PlotPaletteError, TemplateValidationError
from plot_palette.models import ModelRegistry

REGISTRY = ModelRegistry.load("us-east-1")
DOCUMENT = {
    "id": "t",
    "name": "T",
    "steps": [
        {"id": "ask", "model_tier": "tier-1", "prompt": "a", "temperature": 0.9},
        {"id": "answer", "model": "llama-3.1-8b", "prompt": "b"},
    ],
}


def test_the_product_of_every_dimension_in_a_stable_order() -> None:
    variants = expand({"records": [5, 10], "model": ["tier-1", "tier-2"], "temperature": [0.2]})
    assert [v.params for v in variants] == [
        {"model": "tier-1", "temperature": 0.2, "records": 5},
        {"model": "tier-1", "temperature": 0.2, "records": 10},
        {"model": "tier-2", "temperature": 0.2, "records": 5},
        {"model": "tier-2", "temperature": 0.2, "records": 10},
    ]
    assert [v.index for v in variants] == [0, 1, 2, 3]
    assert variants[0].label == "model=tier-1, temperature=0.2, records=5"


def test_twenty_jobs_pass_and_twenty_one_are_refused_with_the_arithmetic() -> None:
    assert len(expand({"records": list(range(1, 21))})) == 20
    with pytest.raises(PlotPaletteError, match=r"makes 21 jobs \(7 temperature x 3 records\)"):
        expand({"records": [1, 2, 3], "temperature": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]})


def test_an_empty_sweep_and_two_seed_sources_are_refused() -> None:
    with pytest.raises(PlotPaletteError, match="at least one dimension"):
        expand({})
    with pytest.raises(PlotPaletteError, match="not both"):
        expand({"seed_data_key": ["seed-data/u/a.json"], "sample_dataset": ["poetry"]})


def test_one_seed_source_replaces_the_other() -> None:
    assert request_changes({"sample_dataset": "poetry", "model": "x"}) == {
        "sample_dataset": "poetry",
        "seed_data_key": None,
    }
    assert request_changes({"seed_data_key": "seed-data/u/a.json"}) == {
        "seed_data_key": "seed-data/u/a.json",
        "sample_dataset": None,
    }
    assert request_changes({"records": 3}) == {"records": 3}


def test_a_tier_or_a_model_goes_on_every_step() -> None:
    tiered = apply_to_template(DOCUMENT, {"model": "tier-3"}, REGISTRY)
    assert [(s.get("model"), s.get("model_tier")) for s in tiered["steps"]] == [
        (None, "tier-3"),
        (None, "tier-3"),
    ]
    modelled = apply_to_template(DOCUMENT, {"model": "llama-3.1-8b"}, REGISTRY)
    assert {s.get("model") for s in modelled["steps"]} == {"llama-3.1-8b"}
    assert all("model_tier" not in s for s in modelled["steps"])
    assert DOCUMENT["steps"][0]["model_tier"] == "tier-1"  # the original is untouched


def test_a_mapping_puts_only_the_named_steps_on_a_model_and_temperature_on_all() -> None:
    changed = apply_to_template(
        DOCUMENT, {"model": {"answer": "cheap"}, "temperature": 0.3}, REGISTRY
    )
    assert changed["steps"][0]["model_tier"] == "tier-1"
    assert changed["steps"][1] == {
        "id": "answer",
        "model_tier": "cheap",
        "prompt": "b",
        "temperature": 0.3,
    }
    assert changed["steps"][0]["temperature"] == 0.3
    with pytest.raises(TemplateValidationError, match="step 'nope'"):
        apply_to_template(DOCUMENT, {"model": {"nope": "tier-1"}}, REGISTRY)
