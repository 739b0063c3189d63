"""The Jinja2 environment templates render in: immutable sandbox, strict undefined, our filters.

Templates come from users, so they render in ``ImmutableSandboxedEnvironment`` (no attribute
starting with ``_``, no mutation, no unsafe callables) with ``StrictUndefined`` (a missing field
is an error, not an empty string). Globals that have been used to escape sandboxes (``cycler``,
``joiner``, ``namespace``, ``lipsum``) and filters that reach attributes or format strings
(``attr``, ``format``) are removed; ``static_checks`` refuses them at save time as well.
"""

from __future__ import annotations

from functools import cache

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from plot_palette.templates.filters import FILTERS

REMOVED_GLOBALS = frozenset({"cycler", "joiner", "namespace", "lipsum"})
REMOVED_FILTERS = frozenset({"attr", "format", "xmlattr", "pprint", "tojson"})


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The one shared environment (it holds no per-record state)."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in REMOVED_GLOBALS:
        env.globals.pop(name, None)
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters.update(FILTERS)
    return env
