"""Counting tokens when the engine's tokenizer is not at hand: a deliberately high estimate.

The prompt builder must never send more than the context window holds, so an estimate that is
too high only costs a little history, while one too low makes generation fail. The estimate
follows how byte-level BPE vocabularies (Qwen, Llama) split text, rounding every class up:

- ASCII words: a token per 4 letters, rounded up (most English words are one token);
- digits and ASCII punctuation: a token each (Qwen splits numbers into single digits);
- Hangul, kana, CJK ideographs and full-width forms: a token per character (Qwen averages
  under one per Hangul syllable or Chinese character);
- other letters (accented Latin, Cyrillic, Greek, ...): a token per 2 characters;
- anything else (emoji, symbols): a token per 2 UTF-8 bytes, at least one;
- whitespace: a single space is free (it joins the next word), a newline a token each.

Then 10% more, and never below a token per 3 UTF-8 bytes. By design it runs high: English prose
comes out around 1.5 times the count at ~4.3 characters a token, the usual rate for such
vocabularies. When the page has the engine's real tokenizer it passes that instead (anything
with ``count(text) -> int``, see :class:`Tokenizer`).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CountCache", "EstimatingTokenizer", "Tokenizer", "estimate_tokens"]

_CJK = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3000-\u303f"  # CJK punctuation
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u3190-\u31ff"  # Kanbun, Bopomofo ext., Katakana ext.
    "\u3400-\u4dbf"  # CJK ext. A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo ext. A
    "\uac00-\ud7ff"  # Hangul syllables, Jamo ext. B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\ufe30-\ufe4f"  # CJK compatibility forms
    "\uff00-\uffef"  # half-width and full-width forms
    "\U00020000-\U0003ffff"  # CJK ext. B and later
)

_PIECES = re.compile(
    rf"(?P<word>[A-Za-z]+)"
    rf"|(?P<cjk>[{_CJK}])"
    rf"|(?P<letters>(?:(?![{_CJK}])[^\W\d_\x00-\x7f])+)"
    rf"|(?P<newlines>[ \t]*[\r\n][\s]*)"
    rf"|(?P<spaces>[ \t]+)"
    rf"|(?P<ascii>[\x00-\x7f])"
    rf"|(?P<other>.)",
    re.S,
)


@runtime_checkable
class Tokenizer(Protocol):
    """Counts the tokens of a text: the engine's tokenizer, or :class:`EstimatingTokenizer`."""

    def count(self, text: str) -> int: ...


def estimate_tokens(text: str) -> int:
    """A count at least as high as a typical LLM tokenizer's for ``text`` (0 for ``""``)."""
    if not text:
        return 0
    total = 0
    for match in _PIECES.finditer(text):
        kind = match.lastgroup
        piece = match.group()
        if kind == "word":
            total += (len(piece) + 3) // 4
        elif kind == "cjk" or kind == "ascii":
            total += 1
        elif kind == "letters":
            total += (len(piece) + 1) // 2
        elif kind == "newlines":
            lines = piece.count("\n") or 1
            total += lines + (len(piece) - lines) // 4
        elif kind == "spaces":
            total += 0 if piece == " " else (len(piece) + 3) // 4
        else:
            total += max(1, (len(piece.encode("utf-8", "surrogatepass")) + 1) // 2)
    by_class = math.ceil(total * 1.1)
    by_bytes = math.ceil(len(text.encode("utf-8", "surrogatepass")) / 3)
    return max(by_class, by_bytes)


class EstimatingTokenizer:
    """:class:`Tokenizer` that uses :func:`estimate_tokens`."""

    def count(self, text: str) -> int:
        return estimate_tokens(text)


class CountCache:
    """Remembered counts of texts seen before: the prompt re-counts the whole kept history on
    every turn, and counting a long reply again costs tens of milliseconds in the page.

    Bounded by the characters of the texts it holds (least recently used go first), so the
    memory it adds stays below ``max_chars`` however long the chat.
    """

    def __init__(self, count: Callable[[str], int], *, max_chars: int = 2_000_000) -> None:
        self._count = count
        self._max_chars = max_chars
        self._held = 0
        self._counts: OrderedDict[str, int] = OrderedDict()

    def __call__(self, text: str) -> int:
        known = self._counts.get(text)
        if known is not None:
            self._counts.move_to_end(text)
            return known
        counted = self._count(text)
        if len(text) <= self._max_chars:
            self._counts[text] = counted
            self._held += len(text)
            while self._held > self._max_chars:
                dropped, _ = self._counts.popitem(last=False)
                self._held -= len(dropped)
        return counted

    @property
    def held_chars(self) -> int:
        """Characters of text held now."""
        return self._held
