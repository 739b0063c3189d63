"""Template YAML: export reads like a hand-written file, import errors name their line, diffs."""

from __future__ import annotations

import pytest

from plot_palette.errors import TemplateValidationError
from plot_palette.templates import documents
from plot_palette.templates.documents import (
    MAX_YAML_CHARS,
    MAX_YAML_DEPTH,
    diff_documents,
    from_yaml,
    to_yaml,
)

pytestmark = pytest.mark.slow(seconds=60)

DOCUMENT = {
    "id": "tpl-1",
    "name": "Poems",
    "version": 2,
    "steps": [{"id": "ask", "prompt": "Line one\nLine two", "model_tier": "tier-1"}],
}


def test_export_and_import_round_trip_with_block_prompts() -> None:
    text = to_yaml(DOCUMENT)
    assert text.startswith("id: tpl-1\nname: Poems\nversion: 2\n")
    assert "prompt: |-\n    Line one\n    Line two\n" in text
    assert from_yaml(text) == DOCUMENT


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: x\nsteps:\n  - id: a\n  prompt: b\n", "line 4, column 3"),
        ("name: x\n\tsteps: 1\n", "line 2, column 1"),
        ('name: "unclosed\n', "line 2"),
    ],
)
def test_invalid_yaml_names_the_line(text: str, where: str) -> None:
    with pytest.raises(TemplateValidationError, match=f"invalid YAML at {where}"):
        from_yaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",
        "a: &x [1, 2]\n",
        "!!python/object/apply:os.system ['id']\n",
        "- a list\n",
        "just text\n",
        "",
    ],
)
def test_aliases_python_tags_and_non_mappings_are_refused(text: str) -> None:
    with pytest.raises(TemplateValidationError):
        from_yaml(text)


def test_huge_yaml_is_refused_before_parsing() -> None:
    with pytest.raises(TemplateValidationError, match="the limit is"):
        from_yaml("a: " + "x" * MAX_YAML_CHARS)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: " + "[" * 2000 + "]" * 2000 + "\n", 1),
        ("a: " + "{b: " * 2000 + "}" * 2000 + "\n", 1),
        ("name: x\nsteps:\n" + "".join("  " * n + "-\n" for n in range(100)), 66),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_deep_nesting_is_refused_with_its_line(text: str, line: int) -> None:
    assert len(text) < MAX_YAML_CHARS
    with pytest.raises(
        TemplateValidationError, match=f"more than 64 levels deep \\(line {line}\\)"
    ):
        from_yaml(text)


def test_nesting_up_to_the_limit_is_accepted() -> None:
    # the top-level mapping is one level, so the value may hold MAX_YAML_DEPTH - 1 more
    inner = MAX_YAML_DEPTH - 1
    document = from_yaml("a: " + "[" * inner + "1" + "]" * inner + "\n")
    value = document["a"]
    for _ in range(inner - 1):
        value = value[0]
    assert value == [1]


def test_a_recursion_error_while_loading_is_a_validation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # should the event walk ever let deep text through, loading it must still not crash
    monkeypatch.setattr(documents, "MAX_YAML_DEPTH", 10**9)
    with pytest.raises(TemplateValidationError, match="nested too deeply"):
        from_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n")


def test_diff_is_unified_and_ignores_the_version_number() -> None:
    changed = {**DOCUMENT, "version": 3, "name": "Sonnets"}
    text = diff_documents("tpl-1", DOCUMENT, changed, 2, 3)
    assert text.splitlines()[:2] == ["--- tpl-1@2", "+++ tpl-1@3"]
    assert "-name: Poems\n+name: Sonnets\n" in text
    assert "version" not in text
    assert diff_documents("tpl-1", DOCUMENT, {**DOCUMENT, "version": 3}, 2, 3) == ""
