"""The lorebook records: :class:`Lorebook`, :class:`LoreEntry`, their enums and limits, and
the ``/pattern/flags`` key syntax."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

SelectiveLogic = Literal["AND_ANY", "NOT_ALL", "NOT_ANY", "AND_ALL"]
LOGICS: tuple[SelectiveLogic, ...] = ("AND_ANY", "NOT_ALL", "NOT_ANY", "AND_ALL")
"""ST's ``selectiveLogic`` numbers are the indexes."""
Position = Literal[
    "before_char", "after_char", "an_top", "an_bottom", "at_depth", "em_top", "em_bottom", "outlet"
]
POSITIONS: tuple[Position, ...] = (
    "before_char", "after_char", "an_top", "an_bottom", "at_depth", "em_top", "em_bottom", "outlet"
)  # fmt: skip
"""ST's ``position`` numbers are the indexes."""
LoreRole = Literal["system", "user", "assistant"]
ROLES: tuple[LoreRole, ...] = ("system", "user", "assistant")
"""ST's ``role`` numbers are the indexes."""
Placement = Literal["before_char", "after_char", "at_depth"]

DEFAULT_SCAN_DEPTH = 2
DEFAULT_DEPTH = 4
DEFAULT_ORDER = 100
DEFAULT_TOKEN_BUDGET = 4096
"""ST's default budget, 25% of the context, for the app's 16k window."""
DEFAULT_RECURSION_STEPS = 5
MAX_RECURSION_STEPS = 20
MAX_SCAN_DEPTH = 1000
MAX_ENTRIES = 2000
MAX_KEYS = 100
MAX_KEY_CHARS = 500
MAX_TEXT_CHARS = 1000
MAX_CONTENT_CHARS = 50_000
MAX_BOOK_CHARS = 2_000_000
MAX_REGEX_CHARS = 300
MAX_REGEX_REPEATS = 4
"""Unbounded repeats (``*``, ``+``, ``{n,}``) a regex key may have: each can multiply the
backtracking of the others."""
MAX_NOTES = 100


@dataclass(frozen=True)
class LoreEntry:
    """One piece of lore and when it enters the prompt (ST's world-info entry fields)."""

    uid: int
    keys: tuple[str, ...] = ()
    secondary_keys: tuple[str, ...] = ()
    content: str = ""
    comment: str = ""
    """A title for people; never part of a prompt."""
    constant: bool = False
    enabled: bool = True
    selective: bool = True
    """Whether ``secondary_keys`` apply at all."""
    logic: SelectiveLogic = "AND_ANY"
    order: int = DEFAULT_ORDER
    """Higher: admitted first under the budget, and placed later (closer to the chat)."""
    position: Position = "before_char"
    depth: int = DEFAULT_DEPTH
    """For ``at_depth``: how many messages from the end of the chat (0: after the last)."""
    role: LoreRole = "system"
    case_sensitive: bool | None = None
    """``None``: the book's setting."""
    match_whole_words: bool | None = None
    scan_depth: int | None = None
    probability: int = 100
    use_probability: bool = True
    exclude_recursion: bool = False
    """Never triggered by other entries' contents."""
    prevent_recursion: bool = False
    """Its content never triggers other entries."""


@dataclass(frozen=True)
class Lorebook:
    """A named list of entries and its scan settings (a card's ``character_book``)."""

    name: str = ""
    entries: tuple[LoreEntry, ...] = ()
    description: str = ""
    scan_depth: int = DEFAULT_SCAN_DEPTH
    token_budget: int | None = None
    recursive_scanning: bool = False
    case_sensitive: bool = False
    match_whole_words: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)
    """What the reader dropped or coerced, for the person importing it."""


# --- key syntax -------------------------------------------------------------------------------

_REGEX_KEY = re.compile(r"/([\s\S]+?)/([gimsuy]*)")
_UNESCAPED_SLASH = re.compile(r"(?:^|[^\\])/")
_JS_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_JS_BACKREFERENCE = re.compile(r"\\k<(\w+)>")
_REPEATED_QUANTIFIED_GROUP = re.compile(r"\((?:[^()\\]|\\.)*[+*?}]\)(?:[+*]|\{\d*,)")
_UNBOUNDED_REPEAT = re.compile(r"(?<!\\)[*+]|\{\d*,\}")


@lru_cache(maxsize=1024)
def key_regex(key: str) -> re.Pattern[str] | None:
    """A ``/pattern/flags`` key as a regex, or None: matched as plain text (ST's fallback)."""
    found = _REGEX_KEY.fullmatch(key)
    if not found or len(key) > MAX_REGEX_CHARS:
        return None
    pattern, flags = found.groups()
    if _UNESCAPED_SLASH.search(pattern) or _REPEATED_QUANTIFIED_GROUP.search(pattern):
        return None
    if len(_UNBOUNDED_REPEAT.findall(pattern)) > MAX_REGEX_REPEATS:  # .*.*.*.*.* backtracks
        return None
    pattern = _JS_BACKREFERENCE.sub(r"(?P=\1)", _JS_NAMED_GROUP.sub("(?P<", pattern))
    options = re.NOFLAG
    for letter, option in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
        if letter in flags:
            options |= option
    try:
        return re.compile(pattern, options)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
