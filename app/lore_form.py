"""The world-info editor's form: one entry as the fields a person edits, and back.

Keys are one comma-separated line (a key with a comma inside is written ``/regex/``, as in
SillyTavern); an unchanged line keeps the stored list. What the form does not show (case
sensitivity, probability, recursion flags...) is kept from the stored entry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from app.character_form import parse_tags, tags_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    from app.worldinfo import Lorebook, LoreEntry

__all__ = [
    "EDITED_POSITIONS",
    "added_entry",
    "book_fields",
    "book_from_fields",
    "entry_fields",
    "entry_from_fields",
    "read_worlds",
    "stored_worlds",
    "without_entry",
    "world_name",
]

#: Where an entry can be put from the editor (the others are kept if a file had them).
EDITED_POSITIONS = ("before_char", "after_char", "at_depth")
_LOGICS = ("AND_ANY", "NOT_ALL", "NOT_ANY", "AND_ALL")


#: A tri-state choice: the book's setting, yes, or no.
_TRI = {"": None, "yes": True, "no": False}


def _tri(value: bool | None) -> str:
    return next(key for key, flag in _TRI.items() if flag is value)


def book_fields(book: Lorebook) -> dict[str, str | bool]:
    """The book's own settings as the form shows them (an empty budget: the app's)."""
    return {
        "scan_depth": str(book.scan_depth),
        "token_budget": "" if book.token_budget is None else str(book.token_budget),
        "recursive_scanning": book.recursive_scanning,
        "case_sensitive": book.case_sensitive,
        "match_whole_words": book.match_whole_words,
    }


def book_from_fields(values: Mapping[str, object], book: Lorebook) -> Lorebook:
    """``book`` with the settings the form says."""
    typed = str(values.get("token_budget", "")).strip()
    budget = _number(typed, 0, 1, 1_000_000) if typed else None  # 0: not a number
    return replace(
        book,
        scan_depth=_number(values.get("scan_depth"), book.scan_depth, 0, 1000),
        token_budget=book.token_budget if budget == 0 else budget,
        recursive_scanning=bool(values.get("recursive_scanning", book.recursive_scanning)),
        case_sensitive=bool(values.get("case_sensitive", book.case_sensitive)),
        match_whole_words=bool(values.get("match_whole_words", book.match_whole_words)),
    )


def entry_fields(entry: LoreEntry) -> dict[str, str | bool]:
    """The form's values for ``entry``."""
    return {
        "case_sensitive": _tri(entry.case_sensitive),
        "match_whole_words": _tri(entry.match_whole_words),
        "comment": entry.comment,
        "keys": tags_text(list(entry.keys)),
        "secondary_keys": tags_text(list(entry.secondary_keys)),
        "logic": entry.logic,
        "content": entry.content,
        "constant": entry.constant,
        "enabled": entry.enabled,
        "position": entry.position,
        "depth": str(entry.depth),
        "order": str(entry.order),
    }


def _number(text: object, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(str(text).strip()), low), high)
    except ValueError:
        return default


def _keys(line: object, stored: tuple[str, ...]) -> tuple[str, ...]:
    text = str(line or "")
    return stored if text == tags_text(list(stored)) else tuple(parse_tags(text))


def entry_from_fields(values: Mapping[str, object], base: LoreEntry) -> LoreEntry:
    """``base`` with what the form says; odd values fall back to the stored ones."""
    logic = str(values.get("logic", base.logic))
    position = str(values.get("position", base.position))
    return replace(
        base,
        comment=str(values.get("comment", base.comment)).strip(),
        keys=_keys(values.get("keys"), base.keys),
        secondary_keys=_keys(values.get("secondary_keys"), base.secondary_keys),
        logic=logic if logic in _LOGICS else base.logic,  # type: ignore[arg-type]
        content=str(values.get("content", base.content)),
        constant=bool(values.get("constant", base.constant)),
        enabled=bool(values.get("enabled", base.enabled)),
        position=position if position in EDITED_POSITIONS else base.position,  # type: ignore[arg-type]
        depth=_number(values.get("depth"), base.depth, 0, 1000),
        order=_number(values.get("order"), base.order, -100_000, 100_000),
        case_sensitive=_TRI.get(str(values.get("case_sensitive")), base.case_sensitive),
        match_whole_words=_TRI.get(str(values.get("match_whole_words")), base.match_whole_words),
    )


def added_entry(book: Lorebook) -> Lorebook:
    """``book`` with a new, empty entry at its end (a fresh uid)."""
    from app.worldinfo import LoreEntry

    uid = max((entry.uid for entry in book.entries), default=-1) + 1
    return replace(book, entries=(*book.entries, LoreEntry(uid=uid)))


def without_entry(book: Lorebook, uid: int) -> Lorebook:
    """``book`` without the entry ``uid``."""
    return replace(book, entries=tuple(e for e in book.entries if e.uid != uid))


MAX_WORLDS = 200
MAX_WORLD_NAME = 80


def world_name(text: str, taken: Mapping[str, object]) -> str:
    """A book name from ``text`` (a file's stem, what the user typed), made unique."""
    base = " ".join(text.split())[:MAX_WORLD_NAME] or "World"
    name, number = base, 2
    while name in taken:
        name, number = f"{base} ({number})", number + 1
    return name


def read_worlds(data: object) -> dict[str, Lorebook]:
    """The books kept in the settings store (SillyTavern world files by name)."""
    from app.worldinfo import lorebook_from_world_json

    if not isinstance(data, dict):
        return {}
    return {
        str(name)[:MAX_WORLD_NAME]: lorebook_from_world_json(world, name=str(name))
        for name, world in list(data.items())[:MAX_WORLDS]
    }


def stored_worlds(worlds: Mapping[str, Lorebook]) -> dict[str, object]:
    """What the settings store keeps for ``worlds``."""
    from app.worldinfo import lorebook_to_world_json

    return {name: lorebook_to_world_json(book) for name, book in worlds.items()}
