"""JSON text from outside (imported files, cards, values crossing from JavaScript), read with
a depth limit checked before parsing.

``json.loads`` recurses once per level: under Pyodide a few thousand levels overflow the
JavaScript stack and kill the interpreter instead of raising ``RecursionError``, so nesting is
counted on the text first, without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_DEPTH", "TooDeep", "deeper_than", "loads", "nested_too_deep"]

MAX_DEPTH = 64
"""The deepest nesting accepted: far beyond any card, export or record the app writes."""

#: A JSON string (or an unterminated one, to the end): its brackets do not nest.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|$)', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """The JSON nests deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"its JSON is nested more than {max_depth} levels deep")
        self.max_depth = max_depth


def nested_too_deep(text: str, max_depth: int = MAX_DEPTH) -> bool:
    """Whether JSON ``text`` nests deeper than ``max_depth``, found without parsing it."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for char in _BRACKET.findall(_STRING.sub("", text)):
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses (:class:`TooDeep`, a ``ValueError``) JSON nested deeper than
    ``max_depth`` instead of exhausting the stack."""
    if nested_too_deep(text, max_depth):
        raise TooDeep(max_depth)
    try:
        return json.loads(text)
    except RecursionError as exc:  # CPython with a low recursion limit
        raise TooDeep(max_depth) from exc


def deeper_than(value: Any, max_depth: int) -> bool:
    """Whether decoded JSON ``value`` holds anything more than ``max_depth`` levels down (the
    top value is level 0), found without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False
