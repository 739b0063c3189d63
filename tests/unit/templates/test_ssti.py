"""Known server-side template injection payloads are refused at save time or render harmlessly."""

from __future__ import annotations

import os

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template, render_step

REGISTRY = ModelRegistry.load("us-east-1")

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x.__class__.__base__.__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__.os.environ }}",
    "{{ namespace.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ self.__dict__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ x|attr('__class__') }}",
    "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ '{0.__class__}'.format(x) }}",
    "{{ '%s'|format(x.__class__) }}",
    "{{ x['__class__'] }}",
    "{{ x.mro() }}",
    "{% set n = namespace() %}{{ n }}",
    "{{ range.__call__ }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ x.format_map({}) }}",
    "{{ (x|map(attribute='__class__'))|list }}",
    "{{ getattr(x, '__class__') }}",
    "{{ __builtins__ }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}{{ os }}",
    "{{ x.__init__.__globals__ }}",
    "{{ environ }}{{ x.encode.__self__ }}",
    "{{ x|groupby('__class__')|list }}",
    "{{ ''['_' ~ '_class__'] }}",
    "{{ x.__getattribute__('__class__') }}",
    "{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ range.__self__ }}",
    "{% set s = x.format %}{{ s('{0.__class__}', x) }}",
    "{{ x.__class__.__name__ }}",
    "{{ ('%s' % x.__class__) }}",
]


def template_with(prompt: str) -> dict[str, object]:
    return {"id": "t", "name": "T", "steps": [{"id": "s", "prompt": prompt, "model_tier": "cheap"}]}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_refused_or_harmless(payload: str) -> None:
    try:
        loaded = load_template(template_with(payload), REGISTRY)
    except TemplateValidationError as refused:
        assert "Traceback" not in str(refused)
        return
    # Saved: rendering must not leak the environment, files or Python internals.
    seed = {"x": "value", "environ": "plain text"}
    try:
        rendered = render_step(loaded, "s", seed, {}, record_seed="r")
    except TemplateValidationError:
        return
    assert "class" not in rendered.lower()
    assert "root:" not in rendered
    assert os.environ.get("PATH", "@@") not in rendered


def test_there_are_at_least_twenty_payloads() -> None:
    assert len(set(PAYLOADS)) >= 20


RESOURCE_PAYLOADS = [
    "{{ 'a' * 1000000000 }}",
    "{{ x * 100000000 }}",
    "{{ [1] * 100000000 }}",
    "{{ 2 ** 100000000 }}",
    "{{ range(100000000)|list }}",
    "{{ x.ljust(1000000000) }}",
    "{{ x.zfill(width=1000000000) }}",
    "{{ x|center(1000000000) }}",
    "{{ x|batch(1000000000, 'y')|list }}",
]


@pytest.mark.parametrize("payload", RESOURCE_PAYLOADS)
def test_resource_exhaustion_is_refused_or_stopped(payload: str) -> None:
    """Payloads that would eat a worker's memory or CPU fail cleanly before they do."""
    try:
        loaded = load_template(template_with(payload), REGISTRY)
    except TemplateValidationError:
        return
    with pytest.raises(TemplateValidationError, match=r"not allowed|limited"):
        render_step(loaded, "s", {"x": "value"}, {}, record_seed="r")


def test_a_prompt_that_still_grows_huge_is_stopped_at_the_size_limit() -> None:
    doubling = "{% set v0 = x ~ x %}" + "".join(
        f"{{% set v{n + 1} = v{n} ~ v{n} %}}" for n in range(17)
    )
    loaded = load_template(template_with(doubling + "{{ v17 }}"), REGISTRY)
    # refused before the value is built, naming the limit
    with pytest.raises(
        TemplateValidationError,
        match="joining text with ~ would make a value of 2,621,440 characters; "
        "the limit is 2,000,000",
    ):
        render_step(loaded, "s", {"x": "0123456789"}, {}, record_seed="r")


def test_a_prompt_emitted_piece_by_piece_is_stopped_at_the_size_limit() -> None:
    loaded = load_template(
        template_with("{% for i in range(10000) %}{{ x }}{% endfor %}"), REGISTRY
    )
    with pytest.raises(TemplateValidationError, match="over 2,000,000 characters"):
        render_step(loaded, "s", {"x": "0123456789" * 30}, {}, record_seed="r")


def test_the_sandbox_blocks_at_render_time_too() -> None:
    """Defence in depth: even a template object built without validation renders safely."""
    from plot_palette.templates import PromptTemplate

    unchecked = PromptTemplate.model_validate(template_with("{{ x.__class__ }}"))
    with pytest.raises(TemplateValidationError):
        render_step(unchecked, "s", {"x": 1}, {}, record_seed="r")
