"""The Jinja2 environment templates render in: immutable sandbox, strict undefined, our filters.

Templates come from users, so they render in ``ImmutableSandboxedEnvironment`` (no attribute
starting with ``_``, no mutation, no unsafe callables, ``str.format`` checked) with
``StrictUndefined`` (a missing field is an error, not an empty string). On top of Jinja2's
sandbox:

* globals that have been used to escape sandboxes (``cycler``, ``joiner``, ``namespace``,
  ``lipsum``) and filters that reach attributes, format strings or build huge strings
  (``attr``, ``format``, ``center``, ``indent``…) are removed; ``static_checks`` refuses them
  at save time as well;
* ``*`` and ``**`` are checked before they run, so ``'a' * 10**9`` or ``9**9**9`` cannot eat a
  worker's memory, and ``range`` stops at ``MAX_RANGE`` items;
* str methods that pad to a width (``ljust``, ``zfill``…) refuse widths over ``MAX_SEQUENCE``.

Rendering cost is otherwise bounded by the template size limit and the seed data; a template
that still manages to build a prompt over ``MAX_RENDERED_CHARS`` fails that record cleanly.
"""

from __future__ import annotations

import operator
from functools import cache
from typing import Any

from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from plot_palette.templates.filters import FILTERS

REMOVED_GLOBALS = frozenset({"cycler", "joiner", "namespace", "lipsum"})
REMOVED_FILTERS = frozenset(
    {"attr", "format", "xmlattr", "pprint", "tojson", "center", "indent", "batch", "slice"}
)
MAX_RANGE = 10_000
MAX_SEQUENCE = 100_000
MAX_EXPONENT = 64
MAX_RENDERED_CHARS = 2_000_000
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def capped_range(*args: int) -> range:
    """``range`` for templates: at most ``MAX_RANGE`` items."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE:,} items in a prompt")
    return numbers


class PromptSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with limits on what can blow up a prompt's size."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        """Refuse repetitions and powers whose result would be huge, before computing them."""
        if operator_name == "*":
            for sequence, times in ((left, right), (right, left)):
                size = _size(sequence)
                if size is not None and isinstance(times, int) and size * times > MAX_SEQUENCE:
                    raise SecurityError(
                        f"repeating text or lists beyond {MAX_SEQUENCE:,} items is not allowed"
                    )
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, int) and right > MAX_EXPONENT and left not in (-1, 0, 1):
                raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed")
            return operator.pow(left, right)
        return super().call_binop(context, operator_name, left, right)  # pragma: no cover

    def call(
        __self,  # Jinja2's signature: the odd names keep ``self`` & co. free for kwargs
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Refuse padding a string to a width that would make it huge."""
        name = getattr(__obj, "__name__", None)
        if isinstance(getattr(__obj, "__self__", None), str) and name in _PADDING_METHODS:
            widths = [value for value in (*args, *kwargs.values()) if isinstance(value, int)]
            if any(width > MAX_SEQUENCE for width in widths):
                raise SecurityError(f"widths above {MAX_SEQUENCE:,} are not allowed")
        return super().call(__context, __obj, *args, **kwargs)


@cache
def environment() -> PromptSandbox:
    """The one shared environment (it holds no per-record state)."""
    env = PromptSandbox(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in REMOVED_GLOBALS:
        env.globals.pop(name, None)
    env.globals["range"] = capped_range
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters.update(FILTERS)
    return env
