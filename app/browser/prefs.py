"""``localStorage`` for the preferences named in ``app/preferences.py``: the one place the page
reads and writes them (a browser that refuses storage just forgets them)."""

from __future__ import annotations

from typing import Any

from pyscript import window

from app.browser.jsbridge import absent
from app.preferences import EXPORTED, importable

__all__ = ["drop", "export", "get", "put", "restore"]


def get(key: str) -> str | None:
    """The stored value (``None``: not set, or storage refused)."""
    try:
        value = window.localStorage.getItem(key)
    except Exception:  # noqa: BLE001 - storage disabled: as if never set
        return None
    return None if absent(value) else str(value)  # getItem's null is jsnull, not None


def put(key: str, value: str) -> None:
    """Keep ``value`` (quietly not, where the browser refuses storage)."""
    try:
        window.localStorage.setItem(key, value)
    except Exception:  # noqa: BLE001 - storage full or disabled: a preference is not data
        window.console.warn(f"preference not kept: {key}")


def drop(key: str) -> None:
    """Forget ``key``."""
    try:
        window.localStorage.removeItem(key)
    except Exception:  # noqa: BLE001
        window.console.warn(f"preference not removed: {key}")


def export() -> dict[str, str]:
    """The preferences that travel with "export all data"."""
    return {key: value for key in EXPORTED if (value := get(key)) is not None}


def restore(data: Any) -> int:
    """Put back the usable preferences of an export; how many."""
    values = importable(data)
    for key, value in values.items():
        put(key, value)
    return len(values)
