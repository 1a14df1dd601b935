"""The page's own preferences: every one named here, and which travel with "export all data".

Generation settings, the user's name and the system prompt live in IndexedDB's settings
store (``app/storage/chat_repo.py``), exported with the chats. These few are read before the
database opens (the language of the first paint, the model to load, where models are cached)
or belong to this browser only (who was signed in last, answers given once), so they are
kept in ``localStorage`` through ``app/browser/prefs.py``; the first three are exported too,
and an import puts back only values this app can use.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.i18n import LANGUAGES
from app.presets import CACHE_BACKENDS

__all__ = [
    "CACHE_BACKEND",
    "EXPORTED",
    "LANGUAGE",
    "LAST_USER",
    "MODEL",
    "declined_key",
    "importable",
    "restored_key",
]

LANGUAGE = "chat.lang"
MODEL = "chat.model"
"""The model last loaded here (loaded again when the engine lock comes back)."""
CACHE_BACKEND = "chat.cacheBackend"
LAST_USER = "account.lastUser"
"""Who was signed in when this browser last knew (shown offline; the first data owner)."""
EXPORTED = (LANGUAGE, MODEL, CACHE_BACKEND)

MAX_VALUE = 200
"""No preference value is longer (a model id is well under)."""


def declined_key(user_id: str) -> str:
    """Set once the user said "keep them separate" to adopting logged-out chats."""
    return f"account.adoptDeclined:{user_id}"


def restored_key(user_id: str) -> str:
    """Set once this account's chats were pulled from the server into this browser."""
    return f"restored:{user_id}"


def importable(data: object) -> dict[str, str]:
    """The exported preferences in ``data`` that this app can use; anything else is dropped
    (an unknown language or cache backend, a non-text value, another key)."""
    if not isinstance(data, Mapping):
        return {}
    valid = {
        LANGUAGE: lambda value: value in LANGUAGES,
        CACHE_BACKEND: lambda value: value in CACHE_BACKENDS,
        MODEL: lambda value: bool(value.strip()),
    }
    return {
        key: value
        for key, value in data.items()
        if key in valid and isinstance(value, str) and len(value) <= MAX_VALUE and valid[key](value)
    }
