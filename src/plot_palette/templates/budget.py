"""The budget every render runs under: time, loop iterations, call depth and value sizes.

A template is code from a user. The sandbox (``sandbox.py``) refuses what a template may never
do; this module bounds what it may do a lot of. Every render (a test run, an estimate, a seed
validation, the worker's prompts: all go through ``engine.render_step``) runs inside
``render_budget()``, and the sandbox ticks the budget at every loop iteration, every call and
every operator it intercepts, so:

* a render stops once it has run ``RENDER_SECONDS`` (wall clock, checked at each tick), or
  made ``MAX_ITERATIONS`` loop iterations in all, or nested macro calls ``MAX_CALL_DEPTH`` deep;
* every operation that can grow a value (``*``, ``**``, ``%``, ``+``, ``~``, ``str.replace``,
  ``join``, ``format``, the filters that grow text) is checked *before* it runs, against
  ``MAX_VALUE_CHARS`` characters (and ``MAX_INT_BITS`` bits for integers), so no single
  operation can allocate more than a few megabytes or hold the interpreter in one long C call.

A render that breaks the budget fails that record with a ``SecurityError`` naming the limit,
which ``render_step`` turns into a clear per-record error. The limits are settings of the
deployment (``PLOT_PALETTE_RENDER_SECONDS``, ``PLOT_PALETTE_RENDER_ITERATIONS``).

An API request renders many prompts (a test run five, an estimate a hundred): inside
``request_render_budget()`` they share ``RENDER_SECONDS`` of rendering in all, so no request
spends more than that rendering, however many prompts it renders.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from jinja2.exceptions import SecurityError

RENDER_SECONDS = float(os.environ.get("PLOT_PALETTE_RENDER_SECONDS", "2"))
MAX_ITERATIONS = int(os.environ.get("PLOT_PALETTE_RENDER_ITERATIONS", "200000"))
MAX_CALL_DEPTH = 16
MAX_VALUE_CHARS = 2_000_000
MAX_INT_BITS = 16_384
_CLOCK_EVERY = 32


@dataclass
class RenderBudget:
    """What one render has used so far."""

    deadline: float
    iterations: int = 0
    depth: int = 0
    ticks: int = 0
    # What the deadline is: the prompt's own, or the request's it renders in
    what: str = "the prompt took longer than {seconds:g} s to render (the render budget per prompt)"

    def tick(self) -> None:
        """Count one step; refuse once the render has run out of time (the clock is read every
        ``_CLOCK_EVERY`` steps: a step is microseconds, so the deadline is still kept within a
        millisecond or so)."""
        self.ticks += 1
        if self.ticks % _CLOCK_EVERY == 0 and time.monotonic() > self.deadline:
            raise SecurityError(self.what.format(seconds=RENDER_SECONDS))

    def iterate(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise SecurityError(
                f"the prompt's loops ran more than {MAX_ITERATIONS:,} times in all "
                "(the render budget per prompt)"
            )
        self.tick()


_current: contextvars.ContextVar[RenderBudget | None] = contextvars.ContextVar(
    "plot_palette_render_budget", default=None
)


@dataclass
class RequestRenderTime:
    """The render time an API request has left, shared by every prompt it renders."""

    left: float


_request_time: contextvars.ContextVar[RequestRenderTime | None] = contextvars.ContextVar(
    "plot_palette_request_render_time", default=None
)
PER_REQUEST = (
    "the template's prompts took longer than {seconds:g} s to render in all "
    "(the render budget per request)"
)


@contextlib.contextmanager
def request_render_budget(seconds: float | None = None) -> Iterator[RequestRenderTime]:
    """Let every render inside share ``RENDER_SECONDS`` of rendering in all (time spent on
    anything else, a model call, counts for nothing)."""
    request = RequestRenderTime(left=seconds or RENDER_SECONDS)
    token = _request_time.set(request)
    try:
        yield request
    finally:
        _request_time.reset(token)


class render_budget:  # lower case: it reads as a function, ``with render_budget():``
    """Run a render under a fresh budget (a class, not a generator: it wraps every prompt);
    inside a request's budget, the render may also use no more than the request has left."""

    def __init__(self, seconds: float | None = None) -> None:
        self._started = time.monotonic()
        allowed = seconds or RENDER_SECONDS
        self._request = _request_time.get()
        self.budget = RenderBudget(deadline=self._started + allowed)
        if self._request is not None and self._request.left < allowed:
            self.budget.deadline = self._started + max(0.0, self._request.left)
            self.budget.what = PER_REQUEST
        self._token: contextvars.Token[RenderBudget | None] | None = None

    def __enter__(self) -> RenderBudget:
        self._token = _current.set(self.budget)
        return self.budget

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
        if self._request is not None:
            self._request.left -= time.monotonic() - self._started


def current() -> RenderBudget:
    """The running render's budget. Every render runs inside ``render_budget``
    (``engine.render_step``); a render outside one is a programming error, refused rather than
    given a budget that would outlive it (its deadline would then refuse later renders)."""
    budget = _current.get()
    if budget is None:
        raise RuntimeError("a template rendered outside render_budget()")
    return budget


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Iterate a template loop's items, counting each against the budget."""
    budget = current()
    for item in iterable:
        budget.iterate()
        yield item


@contextlib.contextmanager
def macro_call() -> Iterator[None]:
    """One level of macro calls deeper, refused past ``MAX_CALL_DEPTH``."""
    budget = current()
    budget.depth += 1
    try:
        if budget.depth > MAX_CALL_DEPTH:
            raise SecurityError(
                f"macros call each other more than {MAX_CALL_DEPTH} deep (the render budget)"
            )
        yield
    finally:
        budget.depth -= 1


def refuse_size(chars: int, what: str) -> None:
    """Refuse an operation whose result would have ``chars`` characters (or items)."""
    if chars > MAX_VALUE_CHARS:
        raise SecurityError(
            f"{what} would make a value of {chars:,} characters; the limit is {MAX_VALUE_CHARS:,}"
        )


def refuse_bits(bits: int, what: str) -> None:
    """Refuse integer arithmetic whose result would have ``bits`` bits."""
    if bits > MAX_INT_BITS:
        raise SecurityError(
            f"{what} would make a number of {bits:,} bits; the limit is {MAX_INT_BITS:,}"
        )


def printed_size(value: Any, limit: int = MAX_VALUE_CHARS) -> int:
    """About how many characters ``str(value)`` has, counted without building it: a list that
    holds the same big list ten thousand times is tiny in memory and huge in print. Stops
    counting once past ``limit`` (the answer is then just "more than the limit")."""
    total, pending = 0, [value]
    while pending and total <= limit:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += 2 + 2 * len(item)
            pending.extend(item)
        else:
            total += 24  # a number, None, a bool: short (big integers are refused elsewhere)
    return total


def refuse_printed(value: Any, what: str) -> None:
    """Refuse printing a value whose text would be too large."""
    if isinstance(value, list | tuple | set | frozenset | dict):
        refuse_size(printed_size(value), what)
