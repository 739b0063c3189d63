"""The job state machine's definition: readable in the console, portable, complete."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from plot_palette.local.asl_diagram import render_readme
from plot_palette.local.cfn import load_template

ROOT = Path(__file__).resolve().parents[3]
ASL_TEXT = (ROOT / "statemachines" / "job.asl.json").read_text()
ASL = json.loads(ASL_TEXT)


def all_states(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    states = dict(definition["States"])
    for state in definition["States"].values():
        for branch in state.get("Branches", []):
            states.update(all_states(branch))
    return states


def test_every_task_and_choice_says_why_and_has_an_explicit_timeout() -> None:
    for name, state in all_states(ASL).items():
        if state["Type"] in ("Task", "Choice", "Parallel"):
            assert state.get("Comment"), f"{name} has no Comment"
        if state["Type"] == "Task":
            assert "TimeoutSeconds" in state, f"{name} relies on the default timeout"


def test_state_names_read_as_sentences() -> None:
    for name in all_states(ASL):
        assert re.fullmatch(r"[A-Z][A-Za-z]*( [A-Z][A-Za-z]*)*", name), name


def test_no_arn_account_or_region_is_written_in_the_definition() -> None:
    assert not re.search(r"arn:aws:(?!states:::)", ASL_TEXT)
    assert not re.search(r"\b\d{12}\b", ASL_TEXT)
    assert not re.search(r"\b(us|eu|ap|ca|sa|me|af)-[a-z]+-\d\b", ASL_TEXT)


def test_every_substitution_is_provided_by_the_template_and_every_one_is_used() -> None:
    used = set(re.findall(r"\$\{(\w+)\}", ASL_TEXT))
    orchestration = load_template(ROOT / "stacks" / "orchestration.yaml")
    given = set(
        orchestration["Resources"]["JobStateMachine"]["Properties"]["DefinitionSubstitutions"]
    )
    assert used == given


def test_every_path_ends_in_a_terminal_state_that_releases_the_slot() -> None:
    states = ASL["States"]
    terminal = [name for name, state in states.items() if state["Type"] in ("Succeed", "Fail")]
    releasing = {
        name
        for name, state in states.items()
        if '"action": "release"' in json.dumps(state.get("Parameters", {}))
    }
    for name in terminal:
        feeders = [
            source
            for source, state in states.items()
            if state.get("Next") == name
            or any(catch["Next"] == name for catch in state.get("Catch", []))
        ]
        assert feeders and all(source in releasing for source in feeders), name


def test_the_readme_picture_matches_the_definition() -> None:
    readme = (ROOT / "README.md").read_text()
    assert render_readme(readme, ASL) == readme, "run: python -m plot_palette.local.asl_diagram"
