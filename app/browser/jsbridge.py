"""The few conversions every adapter needs at the FFI boundary.

JS data comes across as JSON text, never through ``JsProxy.to_py()``: that conversion leaves
any object with an own ``constructor`` key (easy to put in an imported card) as a proxy, which
then fails every later read of the record. JSON text can only become plain Python data, and
:mod:`app.jsontext` refuses nesting deep enough to exhaust the stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyodide.ffi import JsException, JsProxy, jsnull
from pyscript import window
from pyscript.ffi import to_js as _to_js

from app import jsontext
from app.storage.database import UNREADABLE_KEY

if TYPE_CHECKING:
    from typing_extensions import TypeIs

__all__ = ["absent", "js_object", "to_py", "to_py_list"]

#: How deep a value from JS may nest: a card's own limit, plus the records around it.
MAX_DEPTH = 2 * jsontext.MAX_DEPTH


def js_object(value: Any) -> Any:
    """A Python dict/list as plain JS objects/arrays (not Maps)."""
    return _to_js(value, dict_converter=window.Object.fromEntries)


def to_py(value: Any) -> Any:
    """A JS value as plain Python data (dicts, lists, str, numbers); None for null/undefined.

    ``ValueError`` when it nests too deeply or is not JSON data (a cycle, a BigInt).
    """
    if absent(value):
        return None
    if not isinstance(value, JsProxy):
        return value
    try:
        text = window.JSON.stringify(value)
    except JsException as exc:
        raise ValueError(f"not JSON data: {exc}") from exc
    return None if absent(text) else jsontext.loads(str(text), MAX_DEPTH)


def to_py_list(value: Any) -> list[Any]:
    """A JS array as a Python list; an item that cannot be read becomes
    ``{UNREADABLE_KEY: why, "raw": its JSON text or ""}`` so the rest still loads."""
    if absent(value):
        return []
    try:
        whole = to_py(value)
    except ValueError:
        whole = None
    if isinstance(whole, list):
        return whole
    items: list[Any] = []
    for index in range(int(value.length)):
        item = value[index]
        try:
            items.append(to_py(item))
        except ValueError as exc:
            try:
                raw = str(window.JSON.stringify(item))
            except JsException:
                raw = ""
            items.append({UNREADABLE_KEY: str(exc), "raw": raw[:1_000_000]})
    return items


def absent(value: Any) -> TypeIs[None]:
    """JS ``undefined`` arrives as None, ``null`` as Pyodide's ``jsnull``.

    Typed as a check for None so a type checker knows the value is there when it is not
    absent (``jsnull`` is not None, but nothing is done with an absent value)."""
    return value is None or value is jsnull
