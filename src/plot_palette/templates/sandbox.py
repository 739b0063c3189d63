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

Every render also runs under a budget (``budget.py``): loops are counted (the template's
``for`` loops are rewritten to iterate through ``budget.counted``), macro calls are counted in
depth, time is checked at every loop iteration, call and intercepted operator, and every
operation that grows a value (``*``, ``**``, ``%``, ``+``, ``~``, the str methods and filters
that grow text) is checked before it runs. A template that still manages to build a prompt
over ``MAX_RENDERED_CHARS`` fails that record cleanly.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from plot_palette.templates import budget
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
# printf-style conversions: their width and precision (or ``*``, taken from the arguments)
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d+|\*)?(?:\.(\d+|\*))?")
# str.format fields: any number in a format spec (a width or a precision)
_FORMAT_NUMBER = re.compile(r"\{[^{}]*:[^{}]*?(\d+)[^{}]*\}")
_COUNTED = "_pp_counted"
_CONCAT = "_pp_concat"


def _size(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def capped_range(*args: int) -> range:
    """``range`` for templates: at most ``MAX_RANGE`` items."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE:,} items in a prompt")
    return numbers


def _text_size(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict) else 0


def _checked_concat(parts: list[Any]) -> str:
    """``a ~ b ~ c``: refused before joining when the result would be too large."""
    for part in parts:
        budget.refuse_printed(part, "joining text with ~")
    texts = [str(part) for part in parts]
    budget.refuse_size(sum(map(len, texts)), "joining text with ~")
    return "".join(texts)


def _check_percent(fmt: str, args: Any) -> None:
    values = args if isinstance(args, tuple) else (args,)
    for value in values if isinstance(args, tuple) else (args,):
        budget.refuse_printed(value, "formatting with %")
    for width, precision in _PERCENT_SPEC.findall(fmt):
        for number in (width, precision):
            if number == "*":
                number = str(max((v for v in values if isinstance(v, int)), default=0))
            if number and int(number) > MAX_SEQUENCE:
                raise SecurityError(f"format widths above {MAX_SEQUENCE:,} are not allowed")


def _check_str_method(
    text: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, ...]:
    """Refuse the str methods that grow text when their result would be too large; return the
    arguments to call with (an iterable to join is read once, here, and passed on as a list)."""
    if name in _PADDING_METHODS:
        widths = [value for value in (*args, *kwargs.values()) if isinstance(value, int)]
        if any(width > MAX_SEQUENCE for width in widths):
            raise SecurityError(f"widths above {MAX_SEQUENCE:,} are not allowed")
    elif name == "replace" and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = text.count(old) if old else len(text) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            count = min(count, args[2])
        budget.refuse_size(len(text) + count * max(0, len(new) - len(old)), "str.replace")
    elif name == "join" and args:
        items = list(args[0])
        size = len(text) * max(0, len(items) - 1) + budget.printed_size(items)
        budget.refuse_size(size, "str.join")
        return (items, *args[1:])
    elif name in ("format", "format_map"):
        numbers = [int(n) for n in _FORMAT_NUMBER.findall(text)]
        if ":" in text and "{" in text.split(":", 1)[1]:  # a width taken from the arguments
            numbers += [v for v in (*args, *kwargs.values()) if isinstance(v, int)]
        if any(number > MAX_SEQUENCE for number in numbers):
            raise SecurityError(f"format widths above {MAX_SEQUENCE:,} are not allowed")
        for value in (*args, *kwargs.values()):
            budget.refuse_printed(value, "str.format")
    return args


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose text-growing arguments are checked first and whose result is checked."""

    @functools.wraps(function)  # keeps Jinja's pass_context & co.
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget.current().tick()
        # the arguments the user passed (not the context, eval context or environment that
        # Jinja passes first to some filters)
        values = [a for a in args if not isinstance(a, Context | nodes.EvalContext | Environment)]
        for value in (*values, *kwargs.values()):
            budget.refuse_printed(value, f"the {name} filter")
        if name == "replace" and len(values) >= 3:
            _check_str_method(str(values[0]), "replace", tuple(values[1:]), {})
        elif name == "join" and values:
            separator = values[1] if len(values) > 1 else kwargs.get("d", "")
            items = list(values[0])  # read once, here, and passed on as a list
            size = len(str(separator)) * max(0, len(items) - 1)
            budget.refuse_size(size + budget.printed_size(items), "the join filter")
            at = next(i for i, a in enumerate(args) if a is values[0])
            args = (*args[:at], items, *args[at + 1 :])
        elif name == "wordwrap" and values:
            wrap = str(values[3] if len(values) > 3 else kwargs.get("wrapstring") or "\n")
            width = values[1] if len(values) > 1 else kwargs.get("width", 79)
            pieces = len(str(values[0])) // max(1, int(width) if isinstance(width, int) else 1)
            budget.refuse_size(len(str(values[0])) + pieces * len(wrap), "the wordwrap filter")
        result = function(*args, **kwargs)
        budget.refuse_size(_text_size(result), f"the {name} filter")
        return result

    return bounded


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` before it is printed: refused when its text would be too large."""
    budget.refuse_printed(value, "printing a value")
    return value


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template: each loop iterates through ``budget.counted`` and each
    ``~`` goes through ``_checked_concat``."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        loop: Any = self.generic_visit(node)
        loop.iter = nodes.Call(nodes.Name(_COUNTED, "load"), [loop.iter], [], None, None)
        return loop

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        concat: Any = self.generic_visit(node)
        parts = nodes.List(list(concat.nodes), lineno=node.lineno)
        return nodes.Call(nodes.Name(_CONCAT, "load"), [parts], [], None, None, lineno=node.lineno)


class PromptSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with limits on what can blow up a prompt's size or time."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:
        """Compile with every loop counted and every ``~`` checked (see ``budget.py``)."""
        budgeted = _Budgeted().visit(source)
        return super()._generate(budgeted, *args, **kwargs)

    def call_binop(self, context: Context, operator_name: str, left: Any, right: Any) -> Any:
        """Refuse operations whose result would be huge, before computing them."""
        budget.current().tick()
        if operator_name == "*":
            for sequence, times in ((left, right), (right, left)):
                size = _size(sequence)
                if size is not None and isinstance(times, int) and size * times > MAX_SEQUENCE:
                    raise SecurityError(
                        f"repeating text or lists beyond {MAX_SEQUENCE:,} items is not allowed"
                    )
                if isinstance(sequence, list | tuple) and isinstance(times, int):
                    # a list of big lists is small in memory and huge in print
                    budget.refuse_size(budget.printed_size(sequence) * times, "repeating a list")
            if isinstance(left, int) and isinstance(right, int):
                budget.refuse_bits(left.bit_length() + right.bit_length(), "multiplying")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, int) and right > MAX_EXPONENT and left not in (-1, 0, 1):
                raise SecurityError(f"exponents above {MAX_EXPONENT} are not allowed")
            if isinstance(left, int) and isinstance(right, int) and left not in (-1, 0, 1):
                budget.refuse_bits(left.bit_length() * max(right, 0), "raising to a power")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_percent(left, right)
                result = operator.mod(left, right)
                budget.refuse_size(len(result), "formatting with %")
                return result
            return operator.mod(left, right)
        if operator_name == "+":
            if _size(left) is not None and _size(right) is not None:
                budget.refuse_size(len(left) + len(right), "adding text or lists")
            return operator.add(left, right)
        return super().call_binop(context, operator_name, left, right)  # pragma: no cover

    def getattr(self, obj: Any, attribute: str) -> Any:
        budget.current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        budget.current().tick()
        return super().getitem(obj, argument)

    def call(
        __self,  # Jinja2's signature: the odd names keep ``self`` & co. free for kwargs
        __context: Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Count the call, bound macro (and recursive loop) depth, and refuse str methods
        whose result would be huge."""
        budget.current().tick()
        bound_to = getattr(__obj, "__self__", None)
        if isinstance(bound_to, str):
            args = _check_str_method(bound_to, getattr(__obj, "__name__", ""), args, kwargs)
        if isinstance(__obj, Macro | LoopContext):
            with budget.macro_call():
                return super().call(__context, __obj, *args, **kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        budget.refuse_size(_text_size(result), "a call")
        return result


@cache
def environment() -> PromptSandbox:
    """The one shared environment (it holds no per-record state)."""
    env = PromptSandbox(
        undefined=StrictUndefined,
        finalize=_finalize,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name in REMOVED_GLOBALS:
        env.globals.pop(name, None)
    env.globals["range"] = capped_range
    env.globals[_COUNTED] = budget.counted
    env.globals[_CONCAT] = _checked_concat
    for name in REMOVED_FILTERS:
        env.filters.pop(name, None)
    env.filters.update(FILTERS)
    env.filters = {name: _bounded_filter(name, f) for name, f in env.filters.items()}
    return env
