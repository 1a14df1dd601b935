"""The scan: which entries fire for a chat, why, and where their texts go."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from app.i18n import translate
from app.macros import substitute_macros
from app.tokens import estimate_tokens
from app.worldinfo.model import (
    DEFAULT_DEPTH,
    DEFAULT_RECURSION_STEPS,
    DEFAULT_TOKEN_BUDGET,
    MAX_RECURSION_STEPS,
    MAX_SCAN_DEPTH,
    ROLES,
    Lorebook,
    LoreEntry,
    LoreRole,
    Placement,
    Position,
    key_regex,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class Why(str):
    """Why an entry fired or not: the English sentence (a plain ``str``), with what it says
    (``what``, a catalogue key under ``lore.why.``) and its ``values``, to say it in the
    page's language."""

    what: str
    values: dict[str, object]

    def __new__(cls, what: str, /, **values: object) -> Why:
        said = super().__new__(cls, translate(f"lore.why.{what}", "en", **values))
        said.what, said.values = what, values
        return said

    def say(self, lang: str) -> str:
        """The reason in ``lang``."""
        return translate(f"lore.why.{self.what}", lang, **self.values)


@lru_cache(maxsize=1024)
def _whole_word(key: str) -> re.Pattern[str]:
    """ST's word boundaries: the key between non-word characters (punctuation counts)."""
    return re.compile(rf"(?:^|\W){re.escape(key)}(?:$|\W)")


def _fill(text: str, char: str, user: str) -> str:
    """``{{char}}`` and ``{{user}}`` in a key or a content, as the names."""
    return substitute_macros(text, char=char, user=user)


class _Segment(NamedTuple):
    """One scanned text: a message (``\\x01``-prefixed, as in ST's buffer) or an entry's content."""

    text: str
    lower: str
    message_index: int | None = None
    back: int = 0
    """Messages between it and the last one."""
    via: LoreEntry | None = None


def _segment(
    text: str, message_index: int | None = None, back: int = 0, via: LoreEntry | None = None
) -> _Segment:
    scanned = "\x01" + text.strip()
    return _Segment(scanned, scanned.lower(), message_index, back, via)


def _matches(key: str, segment: _Segment, case_sensitive: bool, whole_words: bool) -> bool:
    regex = key_regex(key)
    if regex is not None:
        return regex.search(segment.text) is not None
    text = segment.text if case_sensitive else segment.lower
    needle = key if case_sensitive else key.lower()
    if needle not in text:  # also spares most texts the slower whole-word search
        return False
    return not whole_words or len(needle.split()) > 1 or bool(_whole_word(needle).search(text))


class _Haystack:
    """The texts one entry scans, joined too so that most keys are ruled out in one search."""

    def __init__(self, segments: Sequence[_Segment], recursed: bool) -> None:
        self.segments = segments
        self.recursed = recursed
        self.joined = "\n".join(segment.text for segment in segments)
        self.joined_lower = self.joined.lower()

    def find(self, key: str, case_sensitive: bool, whole_words: bool) -> _Segment | None:
        """The first (newest) text where ``key`` matches, or None."""
        if not key:
            return None
        if key_regex(key) is None:
            needle, text = (
                (key, self.joined) if case_sensitive else (key.lower(), self.joined_lower)
            )
            if needle not in text:
                return None
        return next(
            (s for s in self.segments if _matches(key, s, case_sensitive, whole_words)), None
        )


def _haystacks(
    messages: Sequence[_Segment], recursed: Sequence[_Segment]
) -> Callable[[int, bool], _Haystack]:
    """The scanned texts for a scan depth, with or without the recursed contents, each made once."""
    made: dict[tuple[int, bool], _Haystack] = {}

    def haystack(depth: int, with_recursed: bool) -> _Haystack:
        if (depth, with_recursed) not in made:
            extra = recursed if with_recursed else ()
            made[depth, with_recursed] = _Haystack([*messages[:depth], *extra], bool(extra))
        return made[depth, with_recursed]

    return haystack


# --- activation -------------------------------------------------------------------------------


class DepthInsert(NamedTuple):
    """Text to insert ``depth`` messages from the end of the chat, as a ``role`` message."""

    depth: int
    role: LoreRole
    text: str


@dataclass(frozen=True)
class EntryOutcome:
    """What happened to one entry in a scan, and why (for a prompt inspector)."""

    book_index: int
    entry: LoreEntry
    fired: bool
    reason: str
    key: str = ""
    """The primary key that matched, macros filled (``""``: constant, or it did not fire)."""
    message_index: int | None = None
    """Where the key matched: the index in ``history_texts`` (None: in another entry's content)."""
    via: LoreEntry | None = None
    """The entry whose content held the key (recursion)."""
    sweep: int = 1
    """The scan sweep it was decided in: 1 the chat's, 2 and on recursion's (0: never scanned)."""
    tokens: int = 0
    text: str = ""
    """The content as placed, macros filled."""
    placed: Placement | None = None


@dataclass(frozen=True)
class Activation:
    """The entries that fired, their texts by place in the prompt, and why others did not."""

    fired: tuple[EntryOutcome, ...] = ()
    """In the order their texts are placed (ascending ``order``)."""
    skipped: tuple[EntryOutcome, ...] = ()
    before_char: str = ""
    after_char: str = ""
    at_depth: tuple[DepthInsert, ...] = ()
    """One per depth and role, deepest first; entries in ascending order within one."""
    tokens: int = 0
    budget: int = 0
    budget_overflowed: bool = False


_PLACEMENT: dict[Position, Placement | None] = {
    "before_char": "before_char",
    "after_char": "after_char",
    "em_top": "after_char",
    "em_bottom": "after_char",
    "at_depth": "at_depth",
    "an_top": "at_depth",
    "an_bottom": "at_depth",
    "outlet": None,
}
"""Where each of ST's positions goes here (example messages follow the character's fields)."""


@dataclass
class _Candidate:
    book_index: int
    index: int
    book: Lorebook
    entry: LoreEntry
    content: str
    reason: str = ""

    def priority(self) -> tuple[bool, int, int, int]:
        return (not self.entry.constant, self.book_index, -self.entry.order, self.index)


@dataclass(frozen=True)
class _Hit:
    candidate: _Candidate
    reason: str
    key: str = ""
    segment: _Segment | None = None


def _found(key: str, segment: _Segment) -> Why:
    """Where ``key`` matched: the last message, an earlier one, or another entry's content."""
    if segment.via is not None:
        if segment.via.comment:
            return Why("key_via_named", key=key, uid=segment.via.uid, name=segment.via.comment)
        return Why("key_via", key=key, uid=segment.via.uid)
    if segment.back == 0:
        return Why("key_last", key=key)
    return Why("key_back", key=key, back=segment.back)


def _secondary_refusal(
    entry: LoreEntry, hay: _Haystack, case: bool, whole: bool, fill: Callable[[str], str]
) -> str | None:
    """None when the secondary keys let the entry fire, else why they do not."""
    keys = [fill(key).strip() for key in entry.secondary_keys]
    found = sum(1 for key in keys if hay.find(key, case, whole) is not None)
    allowed = {
        "AND_ANY": found > 0,
        "AND_ALL": found == len(keys),
        "NOT_ANY": found == 0,
        "NOT_ALL": found < len(keys),
    }[entry.logic]
    if allowed:
        return None
    return Why("secondary", logic=entry.logic, found=found, total=len(keys))


def _scan(
    candidate: _Candidate, haystack: Callable[[int, bool], _Haystack], fill: Callable[[str], str]
) -> _Hit | str:
    """The hit when the entry fires on its scanned text, else why it does not."""
    book, entry = candidate.book, candidate.entry
    if entry.constant:
        return _Hit(candidate, Why("constant"))
    depth = book.scan_depth if entry.scan_depth is None else entry.scan_depth
    hay = haystack(depth, book.recursive_scanning)
    case = book.case_sensitive if entry.case_sensitive is None else entry.case_sensitive
    whole = book.match_whole_words if entry.match_whole_words is None else entry.match_whole_words
    for raw in entry.keys:
        key = fill(raw).strip()
        segment = hay.find(key, case, whole)
        if segment is None:
            continue
        if entry.selective and entry.secondary_keys:
            refusal = _secondary_refusal(entry, hay, case, whole, fill)
            if refusal is not None:
                return refusal
        return _Hit(candidate, _found(key, segment), key, segment)
    scope = "1" if depth == 1 else "n"
    return Why(f"no_key_{scope}" + ("_recursed" if hay.recursed else ""), depth=depth)


class _Admission:
    """Probability rolls and the token budget, over the sweeps of one scan."""

    def __init__(self, budget: int, count: Callable[[str], int], rng: Callable[[], float]):
        self.budget = budget
        self.count = count
        self.rng = rng
        self.used = 0
        self.overflowed = False
        self.fired: list[EntryOutcome] = []
        self.skipped: list[EntryOutcome] = []

    def _skip(self, candidate: _Candidate, reason: str, sweep: int) -> None:
        self.skipped.append(
            EntryOutcome(candidate.book_index, candidate.entry, False, reason, sweep=sweep)
        )

    def admit(self, hits: Sequence[_Hit], sweep: int) -> list[_Candidate]:
        """The hits that pass, in priority order; after the first that does not fit, none."""
        admitted: list[_Candidate] = []
        for hit in sorted(hits, key=lambda hit: hit.candidate.priority()):
            candidate, entry = hit.candidate, hit.candidate.entry
            if self.overflowed:
                self._skip(candidate, Why("budget_after"), sweep)
                continue
            if entry.use_probability and entry.probability < 100:
                if not self.rng() * 100 < entry.probability:
                    self._skip(candidate, Why("chance", probability=entry.probability), sweep)
                    continue
            cost = self.count(candidate.content)
            if self.used + cost > self.budget:
                self.overflowed = True
                reason = Why("budget", used=self.used, cost=cost, budget=self.budget)
                self._skip(candidate, reason, sweep)
                continue
            self.used += cost
            segment = hit.segment
            self.fired.append(
                EntryOutcome(
                    candidate.book_index,
                    entry,
                    True,
                    hit.reason,
                    key=hit.key,
                    message_index=segment.message_index if segment else None,
                    via=segment.via if segment else None,
                    sweep=sweep,
                    tokens=cost,
                    text=candidate.content,
                    placed=_PLACEMENT[entry.position],
                )
            )
            admitted.append(candidate)
        return admitted


def _candidates(
    books: Sequence[Lorebook], fill: Callable[[str], str]
) -> tuple[list[_Candidate], list[EntryOutcome]]:
    """The entries that can fire at all, and why the others cannot."""
    candidates: list[_Candidate] = []
    skipped: list[EntryOutcome] = []
    for book_index, book in enumerate(books):
        for index, entry in enumerate(book.entries):
            content = fill(entry.content)
            reason: Why | None = None
            if not entry.enabled:
                reason = Why("disabled")
            elif _PLACEMENT[entry.position] is None:
                reason = Why("outlet")
            elif not content.strip():
                reason = Why("no_content")
            elif not entry.constant and not entry.keys:
                reason = Why("no_keys")
            if reason:
                skipped.append(EntryOutcome(book_index, entry, False, reason, sweep=0))
            else:
                candidates.append(_Candidate(book_index, index, book, entry, content))
    return candidates, skipped


def _budget(books: Sequence[Lorebook], budget: int | None) -> int:
    if budget is not None:
        return max(budget, 0)
    own = [book.token_budget for book in books if book.token_budget]
    return min(own) if own else DEFAULT_TOKEN_BUDGET


def _recursable(candidate: _Candidate) -> bool:
    """Whether other entries' contents may still trigger it."""
    return candidate.book.recursive_scanning and not candidate.entry.exclude_recursion


def _sweep(
    pending: Sequence[_Candidate],
    messages: Sequence[_Segment],
    recursed: Sequence[_Segment],
    sweep: int,
    fill: Callable[[str], str],
) -> tuple[list[_Hit], list[_Candidate]]:
    """The entries that fire in one sweep, and those still waiting (with why not, so far).

    The chat's text stays the same from one sweep to the next: only the entries that also see
    other entries' contents can change their answer, so only they are scanned again.
    """
    hits: list[_Hit] = []
    waiting: list[_Candidate] = []
    haystack = _haystacks(messages, recursed)
    for candidate in pending:
        if sweep > 1 and not _recursable(candidate):
            waiting.append(candidate)
            continue
        found = _scan(candidate, haystack, fill)
        if isinstance(found, str):
            candidate.reason = found
            waiting.append(candidate)
        else:
            hits.append(found)
    return hits, waiting


def activate(
    books: Sequence[Lorebook],
    history_texts: Sequence[str],
    *,
    char_name: str,
    user_name: str,
    count_tokens: Callable[[str], int] = estimate_tokens,
    budget: int | None = None,
    max_recursion_steps: int = DEFAULT_RECURSION_STEPS,
    rng: Callable[[], float] = random.random,
) -> Activation:
    """The entries of ``books`` (the character's first) that fire for the chat ``history_texts``.

    ``history_texts`` are the messages oldest first, each as it should be scanned (ST scans
    ``"Name: text"``). ``budget``: the most tokens the entries may take (None: the smallest
    ``token_budget`` of the books, else :data:`DEFAULT_TOKEN_BUDGET`). ``max_recursion_steps``
    counts every sweep, the first included (1: no recursion; 0, ST's "no limit", and anything
    higher: 20). ``rng`` rolls the entries' probabilities (a float in [0, 1)).
    """

    def fill(text: str) -> str:
        return _fill(text, char_name, user_name)

    admission = _Admission(_budget(books, budget), count_tokens, rng)
    pending, skipped = _candidates(books, fill)
    last = len(history_texts) - 1
    messages = [
        _segment(history_texts[index], index, last - index)
        for index in range(last, max(last - MAX_SCAN_DEPTH, -1), -1)
    ]
    recursed: list[_Segment] = []
    steps = max_recursion_steps if 0 < max_recursion_steps < MAX_RECURSION_STEPS else None
    for sweep in range(1, (steps or MAX_RECURSION_STEPS) + 1):
        hits, pending = _sweep(pending, messages, recursed, sweep, fill)
        admitted = admission.admit(hits, sweep)
        fresh = [
            _segment(c.content, via=c.entry) for c in admitted if not c.entry.prevent_recursion
        ]
        recursed.extend(fresh)
        if admission.overflowed or not fresh or not any(map(_recursable, pending)):
            break
    skipped += [EntryOutcome(c.book_index, c.entry, False, c.reason) for c in pending]
    return _assembled(admission, skipped)


def _assembled(admission: _Admission, skipped: list[EntryOutcome]) -> Activation:
    """The fired entries placed as ST places them: ascending order, ties as ST leaves them."""
    # ST sorts the activated entries by descending order (stable), then prepends each one.
    placed = list(reversed(sorted(admission.fired, key=lambda outcome: -outcome.entry.order)))
    depths: dict[tuple[int, LoreRole], list[str]] = {}
    for outcome in placed:
        if outcome.placed == "at_depth":
            entry = outcome.entry
            where = (
                (entry.depth, entry.role)
                if entry.position == "at_depth"
                else (DEFAULT_DEPTH, "system")
            )
            depths.setdefault(where, []).append(outcome.text)
    return Activation(
        fired=tuple(placed),
        skipped=(*skipped, *admission.skipped),
        before_char="\n".join(o.text for o in placed if o.placed == "before_char"),
        after_char="\n".join(o.text for o in placed if o.placed == "after_char"),
        at_depth=tuple(
            DepthInsert(depth, role, "\n".join(texts))
            for (depth, role), texts in sorted(
                depths.items(), key=lambda item: (-item[0][0], ROLES.index(item[0][1]))
            )
        ),
        tokens=admission.used,
        budget=admission.budget,
        budget_overflowed=admission.overflowed,
    )
