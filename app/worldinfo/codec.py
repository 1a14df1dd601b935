"""Reading lorebooks from untrusted JSON (cards' ``character_book``, ST's world files) and
writing them back."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from app.worldinfo.model import (
    DEFAULT_DEPTH,
    DEFAULT_ORDER,
    DEFAULT_SCAN_DEPTH,
    LOGICS,
    MAX_BOOK_CHARS,
    MAX_CONTENT_CHARS,
    MAX_ENTRIES,
    MAX_KEY_CHARS,
    MAX_KEYS,
    MAX_NOTES,
    MAX_SCAN_DEPTH,
    MAX_TEXT_CHARS,
    POSITIONS,
    ROLES,
    Lorebook,
    LoreEntry,
    Position,
    key_regex,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from app.models import Character

_MAX_NUMBER = 1_000_000_000

# --- reading untrusted JSON -------------------------------------------------------------------

_T = TypeVar("_T", bound=str)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Fields:
    """Lenient typed reads from one untrusted JSON object; each coercion leaves a note."""

    def __init__(self, data: object, label: str, notes: list[str]) -> None:
        self.data: Mapping[str, Any] = data if isinstance(data, dict) else {}
        self.label = label
        self.notes = notes

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(f"{self.label}: {text}")

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(self, name: str, limit: int = MAX_TEXT_CHARS) -> str:
        value = self.data.get(name)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.note(f"{name} {_shown(value)} is not text; left empty")
            return ""
        text = value if isinstance(value, str) else str(value)
        if len(text) > limit:
            self.note(f"{name} cut to {limit} characters")
            text = text[:limit]
        return text

    def maybe_flag(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self.note(f"{name} {_shown(value)} is not true or false; ignored")
        return None

    def flag(self, name: str, default: bool) -> bool:
        value = self.maybe_flag(name)
        return default if value is None else value

    def maybe_number(self, name: str, low: int, high: int) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
        if number is None or not math.isfinite(number):
            self.note(f"{name} {_shown(value)} is not a number; ignored")
            return None
        whole = min(max(round(number), low), high)
        if whole != number:
            self.note(f"{name} {_shown(value)} read as {whole}")
        return whole

    def number(self, name: str, default: int, low: int, high: int) -> int:
        value = self.maybe_number(name, low, high)
        return default if value is None else value

    def choice(self, name: str, choices: tuple[_T, ...], default: _T) -> _T:
        """One of ``choices``, given as its ST number or its name (any case)."""
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(choices):
            return choices[value]
        if isinstance(value, str):
            for choice in choices:
                if choice.lower() == value.strip().lower():
                    return choice
        self.note(f"{name} {_shown(value)} is unknown; {default} used")
        return default

    def keys(self, name: str) -> tuple[str, ...]:
        """A key list; a plain string is split at commas as ST's key field is (a regex is not)."""
        value = self.data.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value] if key_regex(value.strip()) else value.split(",")
        if not isinstance(value, list):
            self.note(f"{name} {_shown(value)} is not a list of keys; ignored")
            return ()
        keys: list[str] = []
        for item in value:
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                self.note(f"{name}: dropped {_shown(item)}, not text")
            elif len(keys) == MAX_KEYS:
                self.note(f"{name}: kept the first {MAX_KEYS} keys")
                break
            elif item.strip():
                keys.append(item.strip()[:MAX_KEY_CHARS])
        return tuple(keys)


def _same(name: str) -> str:
    return name


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _st_fields(got: _Fields, key: Callable[[str], str]) -> dict[str, Any]:
    """The entry fields SillyTavern adds, read once for both of its formats: a card entry's
    ``extensions`` name some in snake case (``key`` = ``_same``), a world file in camel case
    (``key`` = ``_camel``)."""
    return {
        "logic": got.choice("selectiveLogic", LOGICS, "AND_ANY"),
        "depth": got.number("depth", DEFAULT_DEPTH, 0, MAX_SCAN_DEPTH),
        "role": got.choice("role", ROLES, "system"),
        "match_whole_words": got.maybe_flag(key("match_whole_words")),
        "scan_depth": got.maybe_number(key("scan_depth"), 0, MAX_SCAN_DEPTH),
        "probability": got.number("probability", 100, 0, 100),
        "use_probability": got.flag("useProbability", True),
        "exclude_recursion": got.flag(key("exclude_recursion"), False),
        "prevent_recursion": got.flag(key("prevent_recursion"), False),
    }


def _card_entry(raw: Mapping[str, Any], index: int, notes: list[str]) -> LoreEntry:
    """One ``character_book`` entry; ST's own fields live in its ``extensions``."""
    top = _Fields(raw, f"entry {index}", notes)
    ext = _Fields(raw.get("extensions"), f"entry {index} extensions", notes)
    position: Position = "after_char"
    if ext.has("position"):
        position = ext.choice("position", POSITIONS, "after_char")
    elif top.has("position"):
        position = top.choice("position", ("before_char", "after_char"), "after_char")
    case = ext.maybe_flag("case_sensitive") if ext.has("case_sensitive") else None
    return LoreEntry(
        uid=top.number("id", index, 0, _MAX_NUMBER),
        keys=top.keys("keys"),
        secondary_keys=top.keys("secondary_keys"),
        content=top.text("content", MAX_CONTENT_CHARS),
        comment=top.text("comment") or top.text("name"),
        constant=top.flag("constant", False),
        enabled=top.flag("enabled", True),
        selective=top.flag("selective", False),
        order=top.number("insertion_order", DEFAULT_ORDER, -_MAX_NUMBER, _MAX_NUMBER),
        position=position,
        case_sensitive=case if case is not None else top.maybe_flag("case_sensitive"),
        **_st_fields(ext, _same),
    )


def _world_entry(raw: Mapping[str, Any], uid: int, notes: list[str]) -> LoreEntry:
    """One entry of ST's world-info file (its ``newWorldInfoEntryTemplate`` fields)."""
    got = _Fields(raw, f"entry {uid}", notes)
    return LoreEntry(
        uid=uid,
        keys=got.keys("key"),
        secondary_keys=got.keys("keysecondary"),
        content=got.text("content", MAX_CONTENT_CHARS),
        comment=got.text("comment"),
        constant=got.flag("constant", False),
        enabled=not got.flag("disable", False),
        selective=got.flag("selective", True),
        order=got.number("order", DEFAULT_ORDER, -_MAX_NUMBER, _MAX_NUMBER),
        position=got.choice("position", POSITIONS, "before_char"),
        case_sensitive=got.maybe_flag("caseSensitive"),
        **_st_fields(got, _camel),
    )


def _book_settings(top: _Fields, ext: _Fields) -> Lorebook:
    """A book's own fields: V2's, and the match defaults, which have no V2 field, from ``ext``."""
    return Lorebook(
        name=top.text("name"),
        description=top.text("description", MAX_CONTENT_CHARS),
        scan_depth=top.number("scan_depth", DEFAULT_SCAN_DEPTH, 0, MAX_SCAN_DEPTH),
        token_budget=top.maybe_number("token_budget", 0, _MAX_NUMBER) or None,
        recursive_scanning=top.flag("recursive_scanning", False),
        case_sensitive=ext.flag("case_sensitive", False),
        match_whole_words=ext.flag("match_whole_words", False),
    )


def _finished(book: Lorebook, entries: list[LoreEntry], notes: list[str]) -> Lorebook:
    """``book`` with ``entries``, each uid unique and the total content capped."""
    seen: set[int] = set()
    kept: list[LoreEntry] = []
    total = 0
    for entry in entries:
        total += len(entry.content)
        if total > MAX_BOOK_CHARS:
            notes.append(f"the book is too large: {len(entries) - len(kept)} entries left out")
            break
        if entry.uid in seen:
            fresh = max(seen) + 1
            notes.append(f"entry {entry.uid}: a second entry with this id, renumbered {fresh}")
            entry = replace(entry, uid=fresh)
        seen.add(entry.uid)
        kept.append(entry)
    return replace(book, entries=tuple(kept), notes=tuple(notes[:MAX_NOTES]))


def _entry_objects(raw: object, notes: list[str]) -> list[tuple[object, Mapping[str, Any]]]:
    """``(key, entry)`` pairs of an ``entries`` list or object, non-objects left out."""
    if raw is None:
        return []
    if isinstance(raw, dict):
        pairs: list[tuple[object, object]] = list(raw.items())
    elif isinstance(raw, list):
        pairs = list(enumerate(raw))
    else:
        notes.append(f"entries {_shown(raw)} is not a list; no entries read")
        return []
    if len(pairs) > MAX_ENTRIES:
        notes.append(f"kept the first {MAX_ENTRIES} of {len(pairs)} entries")
    found: list[tuple[object, Mapping[str, Any]]] = []
    for key, value in pairs[:MAX_ENTRIES]:
        if isinstance(value, dict):
            found.append((key, value))
        else:
            notes.append(f"entry {_shown(key)}: {_shown(value)} is not an entry; skipped")
    return found


def lorebook_from_card_book(book: object) -> Lorebook:
    """A card's ``character_book`` (V2 or V3, with ST's fields in each entry's extensions)."""
    notes: list[str] = []
    if not isinstance(book, dict):
        notes.append(f"the book {_shown(book)} is not an object; read as empty")
    got = _Fields(book, "book", notes)
    entries = [
        _card_entry(raw, key if isinstance(key, int) else index, notes)
        for index, (key, raw) in enumerate(_entry_objects(got.data.get("entries"), notes))
    ]
    settings = _book_settings(got, _Fields(got.data.get("extensions"), "book", notes))
    return _finished(settings, entries, notes)


def lorebook_from_world_json(data: object, *, name: str = "") -> Lorebook:
    """ST's world-info file ``{"entries": {"0": {...}}}`` (``name``: its file name).

    A V3 ``{"spec": "lorebook_v3", "data": ...}`` file or a ``character_book`` saved on its own
    (``entries`` a list of objects with ``keys``) is read as a card book.
    """
    if isinstance(data, dict) and data.get("spec") == "lorebook_v3":
        book = lorebook_from_card_book(data.get("data"))
        return replace(book, name=name or book.name)
    raw = data.get("entries") if isinstance(data, dict) else None
    if isinstance(raw, list) and any(isinstance(item, dict) and "keys" in item for item in raw):
        book = lorebook_from_card_book(data)
        return replace(book, name=name or book.name)
    notes: list[str] = []
    if not isinstance(data, dict):
        notes.append(f"the file {_shown(data)} is not an object; read as empty")
    got = _Fields(data, "world", notes)
    entries: list[LoreEntry] = []
    for position, (key, value) in enumerate(_entry_objects(raw, notes)):
        uid = _Fields(value, f"entry {_shown(key)}", notes).maybe_number("uid", 0, _MAX_NUMBER)
        if uid is None:
            uid = int(key) if isinstance(key, str) and key.isdigit() else position
        entries.append(_world_entry(value, uid, notes))
    kept = _Fields(got.data.get("extensions"), "world", notes)  # where our exports keep them
    settings = replace(_book_settings(kept, kept), name=name or got.text("name"))
    return _finished(settings, entries, notes)


def character_lorebook(character: Character) -> Lorebook | None:
    """The book an imported card carried (kept verbatim in ``card_extra``), or None."""
    book = character.card_extra.get("character_book")
    return None if book is None else lorebook_from_card_book(book)


# --- writing ----------------------------------------------------------------------------------


def lorebook_to_world_json(book: Lorebook) -> dict[str, Any]:
    """ST's world-info file; the book's settings, which ST keeps elsewhere, in ``extensions``."""
    entries: dict[str, Any] = {}
    for index, entry in enumerate(book.entries):
        entries[str(entry.uid)] = {
            "uid": entry.uid,
            "key": list(entry.keys),
            "keysecondary": list(entry.secondary_keys),
            "comment": entry.comment,
            "content": entry.content,
            "constant": entry.constant,
            "vectorized": False,
            "selective": entry.selective,
            "selectiveLogic": LOGICS.index(entry.logic),
            "addMemo": bool(entry.comment),
            "order": entry.order,
            "position": POSITIONS.index(entry.position),
            "disable": not entry.enabled,
            "excludeRecursion": entry.exclude_recursion,
            "preventRecursion": entry.prevent_recursion,
            "delayUntilRecursion": False,
            "probability": entry.probability,
            "useProbability": entry.use_probability,
            "depth": entry.depth,
            "group": "",
            "groupOverride": False,
            "groupWeight": 100,
            "scanDepth": entry.scan_depth,
            "caseSensitive": entry.case_sensitive,
            "matchWholeWords": entry.match_whole_words,
            "useGroupScoring": None,
            "automationId": "",
            "role": ROLES.index(entry.role),
            "sticky": None,
            "cooldown": None,
            "delay": None,
            "displayIndex": index,
        }
    world: dict[str, Any] = {"entries": entries, "extensions": _book_extensions(book)}
    if book.name:
        world["name"] = book.name
    return world


def _book_extensions(book: Lorebook) -> dict[str, Any]:
    return {
        "description": book.description,
        "scan_depth": book.scan_depth,
        "token_budget": book.token_budget,
        "recursive_scanning": book.recursive_scanning,
        "case_sensitive": book.case_sensitive,
        "match_whole_words": book.match_whole_words,
    }


def lorebook_to_card_book(book: Lorebook) -> dict[str, Any]:
    """A V2 ``character_book``, ST's fields in each entry's extensions as ST exports them."""
    entries = []
    for index, entry in enumerate(book.entries):
        written: dict[str, Any] = {
            "id": entry.uid,
            "keys": list(entry.keys),
            "secondary_keys": list(entry.secondary_keys),
            "comment": entry.comment,
            "content": entry.content,
            "constant": entry.constant,
            "selective": entry.selective,
            "insertion_order": entry.order,
            "enabled": entry.enabled,
            "position": "before_char" if entry.position == "before_char" else "after_char",
            "use_regex": any(key_regex(key) for key in (*entry.keys, *entry.secondary_keys)),
            "extensions": {
                "position": POSITIONS.index(entry.position),
                "exclude_recursion": entry.exclude_recursion,
                "prevent_recursion": entry.prevent_recursion,
                "display_index": index,
                "probability": entry.probability,
                "useProbability": entry.use_probability,
                "depth": entry.depth,
                "selectiveLogic": LOGICS.index(entry.logic),
                "scan_depth": entry.scan_depth,
                "case_sensitive": entry.case_sensitive,
                "match_whole_words": entry.match_whole_words,
                "role": ROLES.index(entry.role),
            },
        }
        entries.append(written)
    card: dict[str, Any] = {
        "name": book.name,
        "description": book.description,
        "scan_depth": book.scan_depth,
        "recursive_scanning": book.recursive_scanning,
        "extensions": {
            "case_sensitive": book.case_sensitive,
            "match_whole_words": book.match_whole_words,
        },
        "entries": entries,
    }
    if book.token_budget is not None:
        card["token_budget"] = book.token_budget
    return card
