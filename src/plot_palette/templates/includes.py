"""``{% include %}`` of another template's step text, resolved before a prompt is analysed.

Semantics (documented in the README, "Template includes"):

* ``{% include "tpl-id" %}`` is replaced by the prompt of the first step of the latest version of
  template ``tpl-id``; ``"tpl-id#step"`` names a step, ``"tpl-id@3"`` a version, and
  ``"tpl-id@3#step"`` both. The id is a template of the caller's or a built-in one; any other id
  (a missing one or another user's) is refused with the same message.
* The tag is replaced by the included text exactly as if it had been pasted there (its own
  includes expanded first); ``{%- include … -%}`` trims whitespace as Jinja2 would.
* Includes nest at most ``MAX_INCLUDE_DEPTH`` deep, a template may never include itself directly
  or through others (a cycle), and an expanded prompt is bounded by the prompt size limit.

Why pasting instead of a Jinja2 loader at render time: the expanded prompt is an ordinary prompt,
so the same sandbox, static checks, seed-field detection and estimates apply to the included text
as to the rest, and a job's config holds the expanded template — the worker never reads the
Templates table, and later edits of an included template never change a submitted job.
The only source of included text is the ``resolve`` callback, which the templates store restricts
to the caller's own templates and the built-in ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes

from plot_palette.errors import NotFoundError, TemplateValidationError
from plot_palette.templates.analysis import parse
from plot_palette.templates.engine import parse_document
from plot_palette.templates.model import MAX_PROMPT_CHARS, PromptTemplate

MAX_INCLUDE_DEPTH = 4
MAX_INCLUDED_TEMPLATES = 20
TAG = re.compile(
    r"\{%(?P<left>[-+]?)\s*include\s+(?P<q>[\"'])(?P<ref>[^\"'\n]{1,200})(?P=q)\s*(?P<right>-?)%\}"
)
REFERENCE = re.compile(
    r"^(?P<id>[A-Za-z0-9][A-Za-z0-9._-]{0,127})(?:@(?P<version>[1-9][0-9]{0,6}))?"
    r"(?:#(?P<step>[a-z][a-z0-9_]{0,63}))?$"
)

Resolver = Callable[[str, int | None], dict[str, Any]]
"""``(template_id, version or None for the latest) -> template document``; raises
``NotFoundError`` for anything the caller may not read."""


@dataclass(frozen=True)
class Reference:
    """What an include names: a template, optionally a version and a step."""

    template_id: str
    version: int | None
    step: str | None

    @classmethod
    def parse(cls, text: str, where: str) -> Reference:
        """``"tpl-id@2#step"`` -> its parts; anything else is a ``TemplateValidationError``."""
        found = REFERENCE.match(text.strip())
        if found is None:
            raise TemplateValidationError(
                f'{where}: include "{text}" must be "template-id", optionally followed by '
                '"@version" and "#step"'
            )
        version = found["version"]
        return cls(found["id"], int(version) if version else None, found["step"])

    def __str__(self) -> str:
        version = f"@{self.version}" if self.version else ""
        step = f"#{self.step}" if self.step else ""
        return f"{self.template_id}{version}{step}"


def has_includes(document: dict[str, Any] | PromptTemplate) -> bool:
    """Whether any step's prompt holds an include tag (cheap: no parsing)."""
    template = parse_document(document)
    return any("include" in step.prompt and TAG.search(step.prompt) for step in template.steps)


def _tags(source: str, where: str) -> list[re.Match[str]]:
    """The include tags of a prompt, refusing every include the expansion cannot honour.

    The regular expression finds the tags' positions; the Jinja2 parse confirms that each one
    really is an include statement (not text inside ``{% raw %}`` or a comment) and that there
    is no other include (computed names, ``ignore missing``, lists of names).
    """
    matches = list(TAG.finditer(source))
    if not matches and "include" not in source:
        return []
    tree = parse(source, where)
    statements = list(tree.find_all(nodes.Include))
    for statement in statements:
        if not isinstance(statement.template, nodes.Const) or statement.ignore_missing:
            raise TemplateValidationError(
                f'{where}: write includes as {{% include "template-id" %}} '
                f"(line {statement.lineno})"
            )
    if len(statements) != len(matches):
        raise TemplateValidationError(
            f'{where}: write includes as {{% include "template-id" %}}, one per tag, outside '
            "raw blocks and comments"
        )
    return matches


class _Expander:
    """One expansion: remembers documents and expanded steps so fan-out costs one read each."""

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve
        self._documents: dict[tuple[str, int | None], PromptTemplate] = {}
        self._expanded: dict[tuple[str, int | None, str | None], str] = {}

    def document(self, reference: Reference, where: str) -> PromptTemplate:
        key = (reference.template_id, reference.version)
        if key not in self._documents:
            if len({name for name, _ in self._documents} | {reference.template_id}) > (
                MAX_INCLUDED_TEMPLATES
            ):
                raise TemplateValidationError(
                    f"{where}: a template may include at most {MAX_INCLUDED_TEMPLATES} templates"
                )
            try:
                self._documents[key] = parse_document(
                    self._resolve(reference.template_id, reference.version)
                )
            except NotFoundError:
                # the same words for a missing template and another user's: nothing leaks
                raise TemplateValidationError(
                    f'{where}: included template "{reference}" not found'
                ) from None
        return self._documents[key]

    def expand(self, source: str, chain: tuple[str, ...], where: str) -> str:
        matches = _tags(source, where)
        if not matches:
            return source
        if len(chain) > MAX_INCLUDE_DEPTH:
            raise TemplateValidationError(
                f"{where}: includes nest more than {MAX_INCLUDE_DEPTH} deep ({' → '.join(chain)})"
            )
        pieces: list[str] = []
        position = 0
        for match in matches:
            reference = Reference.parse(match["ref"], where)
            if reference.template_id in chain:
                loop = " → ".join((*chain, reference.template_id))
                raise TemplateValidationError(f"{where}: include cycle {loop}")
            before = source[position : match.start()]
            pieces.append(before.rstrip() if match["left"] == "-" else before)
            pieces.append(self.included(reference, chain, where))
            position = match.end()
            if match["right"] == "-":
                rest = source[position:]
                position += len(rest) - len(rest.lstrip())
        pieces.append(source[position:])
        text = "".join(pieces)
        if len(text) > MAX_PROMPT_CHARS:
            raise TemplateValidationError(
                f"{where}: with its includes the prompt is over {MAX_PROMPT_CHARS:,} characters"
            )
        return text

    def included(self, reference: Reference, chain: tuple[str, ...], where: str) -> str:
        key = (reference.template_id, reference.version, reference.step)
        if key not in self._expanded:
            template = self.document(reference, where)
            if reference.step is None:
                step = template.steps[0]
            else:
                try:
                    step = template.step(reference.step)
                except KeyError:
                    raise TemplateValidationError(
                        f'{where}: included template "{reference}" has no step {reference.step!r}'
                    ) from None
            inner = f'{where} (in "{reference}")'
            text = self.expand(step.prompt, (*chain, reference.template_id), inner)
            # like Jinja2 (keep_trailing_newline off): the included text's last newline goes
            self._expanded[key] = text[:-1] if text.endswith("\n") else text
        return self._expanded[key]


def expand_includes(document: dict[str, Any] | PromptTemplate, resolve: Resolver) -> dict:
    """The template with every include replaced by the text it names.

    ``document`` is checked for shape first; the result is a plain document (no include tags
    left) for ``load_template``. The template's own id starts the chain, so including itself at
    any version is a cycle.

    >>> docs = {"greeting": {"id": "greeting", "name": "G", "steps": [
    ...     {"id": "hello", "prompt": "Hello {{ name }}.", "model_tier": "cheap"}]}}
    >>> expanded = expand_includes({"id": "t", "name": "T", "steps": [{"id": "s",
    ...     "prompt": '{% include "greeting" %} Write a poem.', "model_tier": "cheap"}]},
    ...     lambda template_id, version: docs[template_id])
    >>> expanded["steps"][0]["prompt"]
    'Hello {{ name }}. Write a poem.'
    """
    template = parse_document(document)
    expander = _Expander(resolve)
    data = template.model_dump(mode="json", exclude_none=True)
    for step in data["steps"]:
        step["prompt"] = expander.expand(step["prompt"], (template.id,), f"step {step['id']!r}")
    return data
