"""Templates as YAML files: export, import (with the line of any error), and version diffs.

A template's YAML is the document the store keeps (``id``, ``name``, ``version``, ``steps``…),
in that order, with multi-line prompts as literal blocks so an exported file reads like the one
a user wrote. Import reads untrusted text: ``yaml.safe_load`` only, a size limit, no anchors
or aliases (a few aliases can expand into gigabytes once the document is serialised) and a
nesting limit (PyYAML builds nested lists and mappings recursively, so ``[[[[…`` a few thousand
levels deep, well under the size limit, would otherwise exhaust the interpreter's stack).
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from plot_palette.errors import TemplateValidationError
from plot_palette.yaml_text import MAX_YAML_DEPTH

MAX_YAML_CHARS = 200_000
DIFF_CONTEXT = 3


class _Dumper(yaml.SafeDumper):
    """``SafeDumper`` writing multi-line strings as ``|`` blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(document: dict[str, Any]) -> str:
    """The template as a YAML document, keys in the order they were saved.

    >>> print(to_yaml({"id": "t", "name": "T", "steps": [{"id": "s", "prompt": "a\\nb"}]}))
    id: t
    name: T
    steps:
    - id: s
      prompt: |-
        a
        b
    <BLANKLINE>
    """
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


def _check_events(text: str) -> None:
    """Refuse anchors, aliases and nesting deeper than ``MAX_YAML_DEPTH`` before loading.

    The event stream is produced without recursion, so walking it is safe however deep the
    text is; ``yaml.safe_load`` is only called once this walk has passed.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise TemplateValidationError(f"YAML anchors and aliases are not allowed (line {line})")
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1
                raise TemplateValidationError(
                    f"the YAML is nested more than {MAX_YAML_DEPTH} levels deep (line {line})"
                )
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1


def from_yaml(text: str) -> dict[str, Any]:
    """A template document from YAML text; any problem is a ``TemplateValidationError``
    naming the line (and column) where YAML gave up."""
    if len(text) > MAX_YAML_CHARS:
        raise TemplateValidationError(
            f"the YAML is {len(text):,} characters; the limit is {MAX_YAML_CHARS:,}"
        )
    try:
        _check_events(text)
        document = yaml.safe_load(text)
    except RecursionError:
        # _check_events keeps nesting far below the stack limit; this is the last line of defence
        raise TemplateValidationError(
            f"the YAML is nested too deeply; the limit is {MAX_YAML_DEPTH} levels"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "the text is not valid YAML"
        raise TemplateValidationError(f"invalid YAML{where}: {problem}") from None
    except yaml.YAMLError:
        raise TemplateValidationError("invalid YAML") from None
    if not isinstance(document, dict):
        raise TemplateValidationError("the YAML must be a mapping (id, name, steps, …) at line 1")
    return document


def diff_documents(
    template_id: str, old: dict[str, Any], new: dict[str, Any], old_version: int, new_version: int
) -> str:
    """A unified diff of two versions' YAML (the ``version`` field itself left out)."""
    before = to_yaml({key: value for key, value in old.items() if key != "version"})
    after = to_yaml({key: value for key, value in new.items() if key != "version"})
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"{template_id}@{old_version}",
            tofile=f"{template_id}@{new_version}",
            n=DIFF_CONTEXT,
        )
    )
