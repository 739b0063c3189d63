"""An API request's renders share one render budget; time between renders does not count.

The clock is a fake that moves a millisecond each time the budget reads it, so a render's
length is a number of clock reads, the same on any machine.
"""

from __future__ import annotations

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import budget, load_template
from plot_palette.templates.engine import render_step

REGISTRY = ModelRegistry.load("us-east-1")
# About 20,000 ticks: some 625 clock reads, 0.6 s of the fake clock; well inside the 2 s per prompt.
LOOP = "{% for i in range(100) %}{% for j in range(200) %}{% endfor %}{% endfor %}{{ x }}"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.001
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(budget.time, "monotonic", fake)
    return fake


def render() -> str:
    template = load_template(
        {"id": "t", "name": "T", "steps": [{"id": "s", "prompt": LOOP, "model_tier": "cheap"}]},
        REGISTRY,
    )
    return render_step(template, "s", {"x": "done"}, {}, record_seed="r")


def test_outside_a_request_every_prompt_has_its_own_budget(clock: Clock) -> None:
    assert [render() for _ in range(6)] == ["done"] * 6


def test_a_requests_prompts_share_one_budget_and_the_refusal_says_so(clock: Clock) -> None:
    with budget.request_render_budget(2.0) as left:
        assert [render() for _ in range(3)] == ["done"] * 3  # about 1.9 s of the 2 s
        with pytest.raises(TemplateValidationError, match="the render budget per request"):
            render()
    assert left.left <= 0


def test_time_between_a_requests_renders_counts_for_nothing(clock: Clock) -> None:
    with budget.request_render_budget(2.0):
        for _ in range(3):
            assert render() == "done"
            clock.now += 100.0  # a model call between steps
