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


def _node(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", name)


def _edges(name: str, state: dict[str, Any]) -> list[tuple[str, str, str]]:
    edges = []
    if "Next" in state:
        edges.append((name, state["Next"], ""))
    for choice in state.get("Choices", []):
        edges.append((name, choice["Next"], "on demand fallback"))
    if "Default" in state:
        edges.append((name, state["Default"], "otherwise"))
    for catch in state.get("Catch", []):
        errors = ", ".join(error.replace("States.", "") for error in catch["ErrorEquals"])
        edges.append((name, catch["Next"], errors))
    return edges


def mermaid(asl: dict[str, Any]) -> str:
    """The state machine as a Mermaid flowchart (Parallel branches shown inside their state)."""
    lines = ["```mermaid", "flowchart TD"]
    for name, state in asl["States"].items():
        shape = {"Succeed": ("([", "])"), "Fail": ("([", "])"), "Choice": ("{", "}")}.get(
            state["Type"], ("[", "]")
        )
        label = name
        if state["Type"] == "Parallel":
            branches = [branch["StartAt"] for branch in state["Branches"]]
            label = f"{name}: {' | '.join(branches)}"
        lines.append(f'  {_node(name)}{shape[0]}"{label}"{shape[1]}')
    lines.append(f"  start((start)) --> {_node(asl['StartAt'])}")
    seen: set[tuple[str, str, str]] = set()
    for name, state in asl["States"].items():
        for source, target, label in _edges(name, state):
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
