"""The few conversions every adapter needs at the FFI boundary."""

from __future__ import annotations

from typing import Any

from pyodide.ffi import JsProxy, jsnull
from pyscript import window
from pyscript.ffi import to_js as _to_js

__all__ = ["absent", "js_object", "to_py"]


def js_object(value: Any) -> Any:
    """A Python dict/list as plain JS objects/arrays (not Maps)."""
    return _to_js(value, dict_converter=window.Object.fromEntries)


def to_py(value: Any) -> Any:
    """A JS value as Python data (dicts, lists, str, numbers); None for null/undefined."""
    if absent(value):
        return None
    if isinstance(value, JsProxy):
        return value.to_py()
    return value


def absent(value: Any) -> bool:
    """JS ``undefined`` arrives as None, ``null`` as Pyodide's ``jsnull``."""
    return value is None or value is jsnull
