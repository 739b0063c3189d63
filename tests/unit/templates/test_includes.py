"""Include resolution: the text pasted, references, cycles, depth, ownership and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from plot_palette.errors import NotFoundError, TemplateValidationError
from plot_palette.models import ModelRegistry
from plot_palette.templates import load_template, render_step, required_fields
from plot_palette.templates.includes import MAX_INCLUDE_DEPTH, Reference, expand_includes

REGISTRY = ModelRegistry.load("us-east-1")


def doc(template_id: str, *prompts: str, version: int = 1) -> dict[str, Any]:
    steps = [{"id": f"s{n}", "prompt": p, "model_tier": "tier-1"} for n, p in enumerate(prompts)]
    return {"id": template_id, "name": template_id, "version": version, "steps": steps}


class Library:
    """The caller's templates by id and version; anything else is not found."""

    def __init__(self, *documents: dict[str, Any]) -> None:
        self.documents = {(d["id"], d["version"]): d for d in documents}
        self.reads: list[tuple[str, int | None]] = []

    def __call__(self, template_id: str, version: int | None) -> dict[str, Any]:
        self.reads.append((template_id, version))
        if version is None:
            found = [v for (i, v) in self.documents if i == template_id]
            if not found:
                raise NotFoundError(f"template {template_id} not found")
            version = max(found)
        try:
            return self.documents[(template_id, version)]
        except KeyError:
            raise NotFoundError(f"template {template_id} not found") from None


def prompt(document: dict[str, Any], library: Library, step: int = 0) -> str:
    return str(expand_includes(document, library)["steps"][step]["prompt"])


def test_an_include_is_the_first_step_of_the_latest_version_pasted_in_place() -> None:
    library = Library(doc("a", "old"), doc("a", "Hello {{ name }}\n", "second", version=2))
    assert prompt(doc("t", 'Say: {% include "a" %} now.'), library) == "Say: Hello {{ name }} now."


def test_a_named_step_and_a_pinned_version() -> None:
    library = Library(doc("a", "v1 first", "v1 second"), doc("a", "v2 first", version=2))
    assert prompt(doc("t", '{% include "a@1#s1" %}'), library) == "v1 second"
    assert prompt(doc("t", "{% include 'a@1' %}"), library) == "v1 first"


def test_whitespace_control_trims_like_jinja() -> None:
    library = Library(doc("a", "X"))
    assert prompt(doc("t", 'one   {%- include "a" -%}   two'), library) == "oneXtwo"


def test_nested_includes_expand_and_fields_of_included_text_are_required() -> None:
    library = Library(doc("inner", "{{ author.name }}"), doc("outer", 'By {% include "inner" %}'))
    expanded = expand_includes(doc("t", '{% include "outer" %}: {{ poem.title }}'), library)
    assert expanded["steps"][0]["prompt"] == "By {{ author.name }}: {{ poem.title }}"
    assert required_fields(load_template(expanded, REGISTRY)) == ["author.name", "poem.title"]


def test_a_shared_include_is_read_once() -> None:
    library = Library(doc("x", "X"))
    prompt(doc("t", '{% include "x" %}{% include "x" %}', '{% include "x" %}'), library)
    assert library.reads == [("x", None)]


@pytest.mark.parametrize(
    ("documents", "root", "message"),
    [
        ([], doc("a", '{% include "a" %}'), "include cycle a → a"),
        ([], doc("a", '{% include "a@1" %}'), "include cycle a → a"),
        ([doc("b", '{% include "a" %}')], doc("a", '{% include "b" %}'), "include cycle a → b → a"),
        (
            [doc("b", '{% include "c" %}'), doc("c", '{% include "b" %}')],
            doc("a", '{% include "b" %}'),
            "include cycle a → b → c → b",
        ),
    ],
)
def test_cycles_are_refused(
    documents: list[dict[str, Any]], root: dict[str, Any], message: str
) -> None:
    with pytest.raises(TemplateValidationError, match=message):
        expand_includes(root, Library(*documents))


def test_depth_is_limited() -> None:
    chain = [doc("t0", "bottom")]
    for level in range(1, MAX_INCLUDE_DEPTH + 2):
        chain.append(doc(f"t{level}", f'{{% include "t{level - 1}" %}}'))
    library = Library(*chain)
    assert prompt(chain[MAX_INCLUDE_DEPTH], library) == "bottom"
    with pytest.raises(TemplateValidationError, match="nest more than"):
        expand_includes(chain[MAX_INCLUDE_DEPTH + 1], library)


def test_missing_and_unreadable_templates_read_the_same() -> None:
    with pytest.raises(TemplateValidationError) as missing:
        expand_includes(doc("t", '{% include "someone-elses" %}'), Library())
    assert str(missing.value) == "step 's0': included template \"someone-elses\" not found"
    with pytest.raises(TemplateValidationError, match="has no step 'nope'"):
        expand_includes(doc("t", '{% include "a#nope" %}'), Library(doc("a", "x")))


@pytest.mark.parametrize(
    "source",
    [
        "{% include name %}",
        '{% include "a" ignore missing %}',
        '{% include ["a", "b"] %}',
        '{% raw %}{% include "a" %}{% endraw %}{% include "a" %}',
        '{% include "a b" %}',
        '{% include "a@0" %}',
        '{% include "../etc/passwd" %}',
    ],
)
def test_includes_the_expansion_cannot_honour_are_refused(source: str) -> None:
    with pytest.raises(TemplateValidationError):
        expand_includes(doc("t", source), Library(doc("a", "A")))


def test_text_in_a_comment_is_not_an_include() -> None:
    with pytest.raises(TemplateValidationError, match="one per tag"):
        expand_includes(doc("t", '{# {% include "a" %} #}'), Library(doc("a", "A")))


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ x|attr('__class__') }}",
        "{% import 'os' as os %}",
    ],
)
def test_sandbox_escapes_inside_included_text_are_refused(payload: str) -> None:
    library = Library(doc("evil", payload))
    expanded = expand_includes(doc("t", 'Hi {% include "evil" %}'), library)
    with pytest.raises(TemplateValidationError):
        load_template(expanded, REGISTRY)
        raise AssertionError("the payload was accepted")  # pragma: no cover


def test_included_text_renders_in_the_sandbox_with_its_limits() -> None:
    library = Library(doc("huge", "{{ 'a' * 10**9 }}"))
    template = load_template(expand_includes(doc("t", '{% include "huge" %}'), library), REGISTRY)
    with pytest.raises(TemplateValidationError, match="not allowed"):
        render_step(template, "s0", {}, {}, record_seed="r")


def test_expansion_is_bounded_by_the_prompt_size() -> None:
    big = doc("big", "x" * 15_000)
    fan = doc("fan", '{% include "big" %}{% include "big" %}')
    with pytest.raises(TemplateValidationError, match="over 20,000 characters"):
        expand_includes(doc("t", '{% include "fan" %}'), Library(big, fan))


def test_reference_round_trip() -> None:
    reference = Reference.parse("tpl-1@3#step", "here")
    assert (reference.template_id, reference.version, reference.step) == ("tpl-1", 3, "step")
    assert str(reference) == "tpl-1@3#step"
