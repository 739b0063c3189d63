"""Hostile templates: each is refused when saved, or renders to a clear per-record error within
the render budget (``templates/budget.py``), never taking more memory or CPU than the budget.

Each case is measured: the peak of Python allocations during the render (``tracemalloc``), the
CPU time it used, and the longest it kept another thread from running. The bounds are the
budget's, not performance targets: the memory bound is a few times ``MAX_VALUE_CHARS`` (the
largest value any single operation may make) and the CPU bound is the render's time budget plus
one second.

Another user's request must be answered within a second while a render runs. On AWS each
request has a Lambda environment of its own; in one process (the local cloud, a worker's
records) a render shares the interpreter, and a request waits only while the render holds the
GIL in one C call (``2**64**64**64`` used to hold it for 12 to 31 s). So the render runs on a
thread while this one keeps asking for the GIL, and the render thread's own CPU clock says how
long it ran, at most, between two turns of this thread: CPU time, which a loaded machine does
not stretch (when this thread waits for a core, the render waits for the GIL it handed over).
"""

from __future__ import annotations

import threading
import time
import tracemalloc
from collections.abc import Callable

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template
from plot_palette.templates.budget import MAX_VALUE_CHARS, RENDER_SECONDS
from plot_palette.templates.engine import render_step

REGISTRY = ModelRegistry.load("us-east-1")
MEMORY_BUDGET = 8 * MAX_VALUE_CHARS  # bytes: a few values at the size limit, plus copies
CPU_BUDGET = RENDER_SECONDS + 1.0
RESPONSIVE_SECONDS = 1.0  # the longest another request may wait for the interpreter
BIG = '{% set s = "a" * 99999 %}'

HOSTILE = {
    # powers and big integers
    "power chain": "{{ 2**64**64**64**64**64 }}",
    "power of a power": "{% set a = 2**64 %}{% set b = a**64 %}{{ b**64 }}",
    "product chain": "{% set a = 2**64 %}{{ a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a }}",  # noqa: E501
    "formatted power": '{{ "{:,}".format(2**64**64) }}',
    # text that doubles or grows in one operation
    "tilde doubling": BIG + "{% set b = s~s %}{% set c = b~b %}{% set d = c~c %}{{ d~d~d~d }}",
    "tilde chain": BIG + "{{ s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s~s }}",
    "plus chain": BIG + "{{ s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s+s }}",
    "percent width": '{{ "%0300000000d" % 1 }}',
    "percent precision": '{{ "%.300000000f" % 1.5 }}',
    "percent star width": '{{ "%*d" % (300000000, 1) }}',
    "percent mapping width": '{{ "%(a)0300000000d" % {"a": 1} }}',
    "percent of a huge list": BIG + '{% set l = [s] * 20 %}{{ "%s" % (l,) }}',
    "replace growth": BIG + '{{ s.replace("a", s) }}',
    "replace filter growth": BIG + '{{ s|replace("a", s) }}',
    "join method growth": BIG + "{{ s.join(range(10000)|map('string')) }}",
    "join filter growth": BIG + "{{ range(10000)|join(s) }}",
    "wordwrap growth": BIG + "{{ s|wordwrap(1, true, s) }}",
    "format width": '{{ "{:>300000000}".format(1) }}',
    "format nested width": '{{ "{0:>{1}}".format("x", 300000000) }}',
    "center method": '{{ "x".center(300000000) }}',
    "ljust method": '{{ "x".ljust(300000000) }}',
    "zfill method": '{{ "x".zfill(300000000) }}',
    "expandtabs method": '{{ "x\\tx".expandtabs(300000000) }}',
    "repeat text": '{{ "x" * 300000000 }}',
    "repeat list": "{{ [1] * 300000000 }}",
    "list of lists printed": "{% set a = [1] * 99999 %}{{ [a] * 99999 }}",
    "nested list literal printed": (
        "{% set a = [1] * 99999 %}{% set b = [a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a] %}"
        "{% set c = [b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b] %}{{ c }}"
    ),
    "nested list concatenated": (
        "{% set a = [1] * 99999 %}{% set b = [a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a] %}"
        "{% set c = [b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b] %}{{ 'x' ~ c }}"
    ),
    "nested list joined": (
        "{% set a = [1] * 99999 %}{% set b = [a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a] %}"
        "{{ [b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b]|join }}"
    ),
    "nested list as string": (
        "{% set a = [1] * 99999 %}{% set b = [a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a] %}"
        "{{ [b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b,b]|string|length }}"
    ),
    # loops, recursion and time
    "nested ranges": (
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    ),
    "three nested ranges": (
        "{% for i in range(100) %}{% for j in range(100) %}{% for k in range(100) %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    ),
    "nested text loops": (BIG + "{% for i in s %}{% for j in s %}{% endfor %}{% endfor %}"),
    "macro recursion": "{% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "macro recursion spelled otherwise": "{% macro m() %}{{ [m][0]() }}{% endmacro %}{{ m() }}",
    "macro recursion through a dict": "{% macro m() %}{{ {'f': m}['f']() }}{% endmacro %}{{ m() }}",
    "recursive loop": "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}",
    "macro in a loop": (
        "{% macro m() %}{% for i in range(10000) %}{% endfor %}{% endmacro %}"
        "{% for i in range(10000) %}{{ m() }}{% endfor %}"
    ),
    "output flood": '{% for i in range(10000) %}{{ "x".rjust(99999) }}{% endfor %}',
    "huge range": "{{ range(10**9)|list }}",
    # the sandbox itself
    "dunder class": "{{ x.__class__.__mro__ }}",
    "format attribute escape": '{{ "{0.__class__}".format(x) }}',
    "removed global": "{{ lipsum(1000000) }}",
    "removed filter": '{{ "x"|center(300000000) }}',
    "mutation": "{% set d = {} %}{{ d.update({'a': 1}) }}",
    "deep parentheses": "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}",
}


@pytest.mark.parametrize("prompt", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_template_is_refused_or_fails_its_record_within_the_budget(prompt: str) -> None:
    try:
        loaded = load_template(
            {
                "id": "t",
                "name": "T",
                "steps": [{"id": "s", "prompt": prompt, "model_tier": "cheap"}],
            },
            REGISTRY,
        )
    except TemplateValidationError as refused:
        assert "Traceback" not in str(refused)
        return
    tracemalloc.start()
    try:
        outcome = on_a_thread(lambda: render_step(loaded, "s", {"x": "value"}, {}, record_seed="r"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(outcome.error, TemplateValidationError), outcome.error
    message = str(outcome.error)
    assert message.startswith("step 's': "), message
    assert "Traceback" not in message
    assert peak < MEMORY_BUDGET, f"{peak / 2**20:.1f} MiB at peak: {message}"
    assert outcome.cpu < CPU_BUDGET, f"{outcome.cpu:.1f} s of CPU: {message}"
    assert outcome.longest_hold < RESPONSIVE_SECONDS, (
        f"held the interpreter for {outcome.longest_hold:.2f} s of CPU: {message}"
    )


class Outcome:
    """What a render on a thread did: its error, its CPU time, its longest hold of the GIL."""

    error: BaseException | None = None
    cpu = 0.0
    longest_hold = 0.0


def on_a_thread(render: Callable[[], object]) -> Outcome:
    """Run ``render`` on a thread while this one takes every turn of the interpreter it can."""
    outcome = Outcome()
    started, done = threading.Event(), threading.Event()
    clock: list[int] = []

    def run() -> None:
        clock.append(time.pthread_getcpuclockid(threading.get_ident()))
        started.set()
        try:
            render()
        except BaseException as error:
            outcome.error = error
        finally:
            outcome.cpu = time.thread_time()
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    started.wait()
    last = 0.0  # the render thread's CPU time when this thread last had its turn
    while not done.is_set():
        try:
            now = time.clock_gettime(clock[0])
        except OSError:  # the thread has ended: its last stretch is counted below
            break
        outcome.longest_hold = max(outcome.longest_hold, now - last)
        last = now
        time.sleep(0)  # give the interpreter up; the render runs until it must hand it back
    thread.join()
    outcome.longest_hold = max(outcome.longest_hold, outcome.cpu - last)
    return outcome


def test_there_are_at_least_forty_hostile_templates() -> None:
    assert len(HOSTILE) >= 40


def test_the_measure_tells_a_render_that_holds_the_interpreter_from_one_that_shares_it() -> None:
    """One C call of 0.75 s holds it throughout; the same work in small calls hands it over."""
    held = on_a_thread(lambda: sum(range(4 * 10**7)))
    assert held.longest_hold > 0.9 * held.cpu
    shared = on_a_thread(lambda: [sum(range(10**5)) for _ in range(400)])
    assert shared.longest_hold < 0.5 * shared.cpu
