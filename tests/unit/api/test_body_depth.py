"""The body nesting check reads JSON text without parsing it."""

from __future__ import annotations

import json

import pytest

from plot_palette.api.app import MAX_BODY_DEPTH, body_depth


@pytest.mark.parametrize("depth", [0, 1, 5, MAX_BODY_DEPTH, MAX_BODY_DEPTH + 1, 500])
def test_the_depth_of_nested_arrays_and_objects(depth: int) -> None:
    value: object = 1
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    assert body_depth(json.dumps(value)) == depth


def test_brackets_inside_strings_and_escaped_quotes_do_not_count() -> None:
    text = json.dumps({"prompt": '[[[{{{ "quoted \\" [[[' * 40, "list": [[1]]})
    assert body_depth(text) == 3


def test_siblings_do_not_add_up() -> None:
    assert body_depth(json.dumps([[1], [2], {"a": [3]}] * 50)) == 3


def test_nesting_far_past_the_recursion_limit_is_measured_too() -> None:
    assert body_depth('{"a": ' + "[" * 50_000 + "]" * 50_000 + "}") == 50_001
