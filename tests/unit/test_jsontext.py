"""Depth-limited JSON: deep nesting is refused before parsing; brackets in strings don't count."""

from __future__ import annotations

import pytest

from app import jsontext


@pytest.mark.parametrize("depth", [65, 5_000, 100_000])
def test_deep_nesting_is_refused_without_parsing(depth: int) -> None:
    with pytest.raises(jsontext.TooDeep, match="nested more than 64 levels"):
        jsontext.loads("[" * depth + "]" * depth)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = '{"a":' * 63 + "[1]" + "}" * 63
    value = jsontext.loads(text)
    for _ in range(63):
        value = value["a"]
    assert value == [1]


def test_brackets_inside_strings_do_not_count() -> None:
    text = '{"s": "' + "[{" * 500 + '\\"' + '", "t": ["\\\\"]}'
    assert jsontext.loads(text) == {"s": "[{" * 500 + '"', "t": ["\\"]}


def test_a_custom_limit() -> None:
    assert jsontext.nested_too_deep("[[[]]]", max_depth=2)
    assert not jsontext.nested_too_deep("[[[]]]", max_depth=3)


def test_invalid_json_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Expecting property name"):
        jsontext.loads("{nope")
