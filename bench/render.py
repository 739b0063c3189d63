"""Render throughput with the render budget on against off, for the built-in templates.

"On" is how every prompt renders (``engine.render_step``: the prompt sandbox, each loop, call
and operator counted and checked, the whole render under ``render_budget``). "Off" renders the
same prompts with the same context, piece by piece as ``render_step`` does, in Jinja2's plain
immutable sandbox with the same filters and none of our checks. Both run in this process, one
after the other, on the sample datasets' seed records; the best of each over the rounds counts.

Target (issue 16): renders per second with the budget on >= 0.8 of off. Exits 1 when missed.

    python bench/render.py [--rounds 5] [--records 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template, parse_seed_data
from plot_palette.templates.engine import render_step
from plot_palette.templates.filters import FILTERS, RECORD_SEED
from plot_palette.templates.sandbox import capped_range

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.8
SAMPLES = {"diary-entry": "literature", "poem-questions": "poetry"}


def seeds_for(dataset: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((ROOT / "sample-datasets" / dataset).glob("*.jsonl")):
        records.extend(parse_seed_data(path.read_bytes()))
    return records


def plain_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
    )
    env.globals["range"] = capped_range
    env.filters.update(FILTERS)
    return env


def run(records: int, rounds: int) -> tuple[float, float]:
    """Best renders per second over ``rounds``: (budget on, budget off)."""
    registry = ModelRegistry.load("us-east-1")
    builtin = ROOT / "src" / "plot_palette" / "templates" / "builtin"
    cases = []
    for template_id, dataset in SAMPLES.items():
        document = yaml.safe_load((builtin / f"{template_id}.yaml").read_text("utf-8"))
        cases.append((load_template(document, registry), seeds_for(dataset)))
    plain = plain_environment()
    best_on = best_off = 0.0
    for _ in range(rounds):
        for budget_on in (True, False):
            done = 0
            start = time.perf_counter()
            for template, seeds in cases:
                compiled = {step.id: plain.from_string(step.prompt) for step in template.steps}
                for index in range(records // len(cases)):
                    seed = seeds[index % len(seeds)]
                    outputs: dict[str, str] = {}
                    for step in template.steps:
                        if budget_on:
                            text = render_step(
                                template, step.id, seed, outputs, record_seed=f"r{index}"
                            )
                        else:
                            context = {
                                **seed,
                                "steps": {k: {"output": v} for k, v in outputs.items()},
                                RECORD_SEED: f"r{index}",
                            }
                            # piece by piece, as render_step does (to stop at the size limit)
                            text = "".join(compiled[step.id].generate(context))
                        outputs[step.id] = text[:200]
                        done += 1
            rate = done / (time.perf_counter() - start)
            if budget_on:
                best_on = max(best_on, rate)
            else:
                best_off = max(best_off, rate)
    return best_on, best_off


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    on, off = run(args.records, args.rounds)
    ratio = on / off
    print(f"renders/s with the budget on:  {on:,.0f}")
    print(f"renders/s with the budget off: {off:,.0f}")
    print(f"ratio on/off: {ratio:.2f} (target >= {TARGET_RATIO})")
    print(f"RESULT render_on={on:.0f} render_off={off:.0f} ratio={ratio:.3f}")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
