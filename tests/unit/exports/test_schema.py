"""Schema inference and widening: the exact path's rules, and a round trip through Arrow."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plot_palette.errors import ExportError
from plot_palette.exports.schema import (
    JSON_TEXT,
    describe,
    infer_schema,
    infer_type,
    merge_types,
    to_table,
)
from tests.integration.exports.conftest import without_nulls


def test_widening_rules() -> None:
    notes: list[str] = []
    assert merge_types(pa.int64(), pa.float64(), notes, "n") == pa.float64()
    assert merge_types(pa.null(), pa.string(), notes, "s") == pa.string()
    assert merge_types(pa.list_(pa.int64()), pa.list_(pa.null()), notes, "l") == pa.list_(
        pa.int64()
    )
    left = pa.struct([pa.field("a", pa.int64())])
    right = pa.struct([pa.field("b", pa.string())])
    assert merge_types(left, right, notes, "o") == pa.struct(
        [pa.field("a", pa.int64()), pa.field("b", pa.string())]
    )
    assert notes == []
    assert merge_types(pa.int64(), pa.string(), notes, "x") == JSON_TEXT
    assert merge_types(JSON_TEXT, pa.int64(), notes, "x") == JSON_TEXT
    assert merge_types(pa.bool_(), pa.int64(), notes, "y") == JSON_TEXT
    assert notes == [
        "x: int64 and string cannot be widened; kept as JSON text",
        "y: bool and int64 cannot be widened; kept as JSON text",
    ]


def test_values_arrow_cannot_hold_natively_become_json_text() -> None:
    assert infer_type(2**64) == JSON_TEXT
    assert infer_type(object()) == JSON_TEXT
    notes: list[str] = []
    schema = infer_schema([{"a": {}, "b": [{}]}], notes)
    assert schema.field("a").type == JSON_TEXT
    assert describe(schema) == {"a": "json", "b": ["json"]}
    assert len(notes) == 2


def test_an_empty_dataset_has_an_empty_schema_and_fieldless_records_are_refused() -> None:
    assert infer_schema([], []) == pa.schema([])
    with pytest.raises(ExportError, match="without any field"):
        to_table([{}], pa.schema([]))


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(min_size=1, max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _decoded(value: Any, kind: pa.DataType) -> Any:
    """What a reader gets back after decoding JSON text columns (and dropping absent keys)."""
    if value is None:
        return None
    if kind == JSON_TEXT:
        return json.loads(value)
    if pa.types.is_struct(kind):
        return {
            item.name: _decoded(value[item.name], item.type)
            for item in kind
            if value[item.name] is not None
        }
    if pa.types.is_list(kind):
        return [_decoded(item, kind.value_type) for item in value]
    return value


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from("abcd"), JSON_VALUES, min_size=1, max_size=4), max_size=6
    )
)
def test_any_records_round_trip_through_the_exact_path(records: list[dict[str, Any]]) -> None:
    # GIVEN any JSON records WHEN their schema is inferred and they become a table
    schema = infer_schema(records, [])
    table = to_table(records, schema)
    struct = pa.struct(list(schema))
    # THEN decoding the JSON text columns gives back every value (ints may widen to floats)
    rows = [without_nulls(_decoded(row, struct)) for row in table.to_pylist()]
    assert rows == [without_nulls(record) for record in records]
