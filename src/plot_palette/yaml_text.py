"""YAML a user wrote (job specs, batch files, template files), loaded without a stack overflow.

PyYAML builds nested lists and mappings recursively, so ``[[[[…`` a thousand levels deep, a few
kilobytes of text, exhausts the interpreter's stack and ends in a traceback. ``load`` first
walks the event stream, which PyYAML produces without recursion, and refuses nesting deeper
than ``MAX_YAML_DEPTH`` with a ``yaml.YAMLError`` naming the line, which every caller already
turns into its own clear error.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_YAML_DEPTH = 64


class TooDeepError(yaml.YAMLError):
    """The YAML nests more than ``MAX_YAML_DEPTH`` levels."""


def check_depth(text: str) -> None:
    """Raise ``TooDeepError`` when the text nests more than ``MAX_YAML_DEPTH`` levels."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise TooDeepError(
                    f"nested more than {MAX_YAML_DEPTH} levels deep "
                    f"(line {event.start_mark.line + 1})"
                )
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def load(text: str) -> Any:
    """``yaml.safe_load`` of text whose nesting has been checked first."""
    check_depth(text)
    return yaml.safe_load(text)
