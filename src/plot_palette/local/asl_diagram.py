"""A picture of the job state machine, generated from the ASL, for the README (Mermaid).

``python -m plot_palette.local.asl_diagram`` rewrites the block between the README's markers;
a test fails when the README's picture no longer matches ``statemachines/job.asl.json``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

BEGIN = "<!-- state-machine:begin -->"
END = "<!-- state-machine:end -->"
_SHAPES = {"Succeed": ("([", "])"), "Fail": ("([", "])"), "Choice": ("{", "}")}


def _node(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name)


def _field(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def condition(rule: dict[str, Any]) -> str:
    """A Choice rule in words, for an edge label (``status is CANCELLED``, ``a and not b``)."""
    for joiner in ("And", "Or"):
        if joiner in rule:
            return f" {joiner.lower()} ".join(condition(part) for part in rule[joiner])
    if "Not" in rule:
        return f"not {condition(rule['Not'])}"
    field = _field(rule.get("Variable", "$"))
    for operator, value in rule.items():
        if operator in ("Variable", "Next", "Comment"):
            continue
        if operator == "BooleanEquals":
            return field if value else f"not {field}"
        if operator == "IsPresent":
            return f"{field} set" if value else f"no {field}"
        if operator.endswith("Path"):
            value = _field(str(value))
        if operator.endswith("Equals"):
            return f"{field} is {value}"
        return f"{field} {operator} {value}"
    return field


def _edges(name: str, state: dict[str, Any]) -> list[tuple[str, str, str]]:
    edges = []
    if "Next" in state:
        edges.append((name, state["Next"], ""))
    for choice in state.get("Choices", []):
        edges.append((name, choice["Next"], condition(choice)))
    if "Default" in state:
        edges.append((name, state["Default"], "otherwise"))
    for catch in state.get("Catch", []):
        errors = ", ".join(error.replace("States.", "") for error in catch["ErrorEquals"])
        edges.append((name, catch["Next"], errors))
    return edges


def _nodes(states: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for name, state in states.items():
        if state["Type"] == "Map":
            processor = state.get("ItemProcessor") or state["Iterator"]
            label = f"{name}: each of {_field(state.get('ItemsPath', '$'))}, at once"
            lines.append(f'{indent}subgraph {_node(name)}["{label}"]')
            lines.append(f"{indent}  direction TB")
            lines.extend(_nodes(processor["States"], indent + "  "))
            lines.append(f"{indent}end")
            continue
        shape = _SHAPES.get(state["Type"], ("[", "]"))
        label = name
        if state["Type"] == "Parallel":
            branches = [branch["StartAt"] for branch in state["Branches"]]
            label = f"{name}: {' | '.join(branches)}"
        lines.append(f'{indent}{_node(name)}{shape[0]}"{label}"{shape[1]}')
    return lines


def _all_edges(states: dict[str, Any]) -> list[tuple[str, str, str]]:
    edges = []
    for name, state in states.items():
        edges.extend(_edges(name, state))
        if state["Type"] == "Map":
            processor = state.get("ItemProcessor") or state["Iterator"]
            edges.extend(_all_edges(processor["States"]))
    return edges


def mermaid(asl: dict[str, Any]) -> str:
    """The state machine as a Mermaid flowchart (Parallel branches shown inside their state,
    a Map's iteration as a subgraph)."""
    lines = ["```mermaid", "flowchart TD", *_nodes(asl["States"], "  ")]
    lines.append(f"  start((start)) --> {_node(asl['StartAt'])}")
    seen: set[tuple[str, str, str]] = set()
    for source, target, label in _all_edges(asl["States"]):
        if (source, target, label) in seen:
            continue
        seen.add((source, target, label))
        arrow = f" -- {label} --> " if label else " --> "
        lines.append(f"  {_node(source)}{arrow}{_node(target)}")
    lines.append("```")
    return "\n".join(lines)


def render_readme(readme: str, asl: dict[str, Any]) -> str:
    """The README with its state machine block regenerated."""
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return readme[:start] + "\n" + mermaid(asl) + "\n" + readme[end:]


def main() -> int:  # pragma: no cover - a thin wrapper used by hand
    root = Path(__file__).resolve().parents[3]
    readme = root / "README.md"
    asl = json.loads((root / "statemachines" / "job.asl.json").read_text())
    readme.write_text(render_readme(readme.read_text(), asl))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
