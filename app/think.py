"""Separating a reasoning model's ``<think>…</think>`` block from its answer, while it streams.

Qwen3 in thinking mode writes ``<think>\\n…reasoning…\\n</think>\\n\\nanswer``; with thinking off,
WebLLM prefills an empty ``<think>\\n\\n</think>\\n\\n`` that may appear in the stream too. The
parser works on deltas as they arrive, whatever the chunking: a tag split across deltas at any
position (``"<th"`` + ``"ink>"``) is held back until it is complete, at most seven characters.
Each :meth:`ThinkParser.feed` costs time proportional to its delta, never to the text so far.

Rules, the same for streaming and for :func:`split_reasoning` on stored text:

- ``<think>`` opens reasoning only before the answer has begun (whitespace aside); later it is
  ordinary text. ``</think>`` closes it; a stray ``</think>`` in the answer is dropped. Several
  blocks before the answer are joined as paragraphs of one reasoning text.
- Reasoning loses its leading and trailing whitespace; the answer loses its leading whitespace.
- A reasoning block still open when the stream ends stays reasoning (the model ran out of
  tokens while thinking); the answer is then empty.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["ThinkDelta", "ThinkParser", "split_reasoning", "strip_reasoning"]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"
_WHITESPACE = " \t\r\n\f\v"


class ThinkDelta(NamedTuple):
    """What one delta added to each part."""

    reasoning: str
    answer: str


def _partial_tag_suffix(text: str, tags: tuple[str, ...]) -> int:
    """Length of the longest end of ``text`` that could be the start of one of ``tags``."""
    longest = 0
    for tag in tags:
        for size in range(min(len(tag) - 1, len(text)), longest, -1):
            if text.endswith(tag[:size]):
                longest = size
                break
    return longest


class ThinkParser:
    """Streaming splitter: ``feed`` each delta, then ``finish`` once when the stream ends."""

    def __init__(self, *, start_in_reasoning: bool = False) -> None:
        """``start_in_reasoning`` for models whose prompt already opened ``<think>``."""
        self._in_reasoning = start_in_reasoning
        self._held = ""  # a possible partial tag at the end of the last delta
        self._reasoning_started = False  # any reasoning emitted, in any block
        self._block_started = False  # the current reasoning block emitted something
        self._reasoning_ws = ""  # whitespace inside reasoning, emitted once more text follows
        self._answer_started = False
        self._reasoning_parts: list[str] = []
        self._answer_parts: list[str] = []
        self._finished = False

    @property
    def in_reasoning(self) -> bool:
        """Whether the text arriving now is reasoning."""
        return self._in_reasoning

    @property
    def reasoning(self) -> str:
        """All reasoning emitted so far."""
        return "".join(self._reasoning_parts)

    @property
    def answer(self) -> str:
        """All answer text emitted so far."""
        return "".join(self._answer_parts)

    def feed(self, delta: str) -> ThinkDelta:
        """Split one streamed delta; returns what it added to the reasoning and the answer."""
        if self._finished:
            raise RuntimeError("feed() after finish()")
        text = self._held + delta if self._held else delta
        self._held = ""
        reasoning: list[str] = []
        answer: list[str] = []
        pos = 0
        while pos < len(text):
            tags, end, found = self._next_tag(text, pos)
            if not found:
                chunk = text[pos:]
                hold = _partial_tag_suffix(chunk, tags)
                if hold:
                    self._held = chunk[-hold:]
                    chunk = chunk[:-hold]
                self._emit(chunk, reasoning, answer)
                break
            self._emit(text[pos:end], reasoning, answer)
            pos = end + len(found)
            if found == OPEN_TAG:
                self._in_reasoning = True
                self._block_started = False
            elif self._in_reasoning:
                self._in_reasoning = False
                self._reasoning_ws = ""  # trailing whitespace of the reasoning is dropped
            # else: a stray closing tag in the answer is dropped
        return self._record(reasoning, answer)

    def _next_tag(self, text: str, pos: int) -> tuple[tuple[str, ...], int, str]:
        """The tags that can come next, and where the first of them is (``found`` empty: none)."""
        if self._in_reasoning or self._answer_started:
            end = text.find(CLOSE_TAG, pos)
            return (CLOSE_TAG,), end, CLOSE_TAG if end >= 0 else ""
        open_at = text.find(OPEN_TAG, pos)
        if open_at > pos and text[pos:open_at].strip(_WHITESPACE):
            open_at = -1  # the answer begins before it: a literal "<think>"
        close_at = text.find(CLOSE_TAG, pos)
        if open_at >= 0 and (close_at < 0 or open_at < close_at):
            return (OPEN_TAG, CLOSE_TAG), open_at, OPEN_TAG
        return (OPEN_TAG, CLOSE_TAG), close_at, CLOSE_TAG if close_at >= 0 else ""

    def finish(self) -> ThinkDelta:
        """Flush what was held back; a partial tag that never completed is ordinary text."""
        if self._finished:
            return ThinkDelta("", "")
        reasoning: list[str] = []
        answer: list[str] = []
        held, self._held = self._held, ""
        self._emit(held, reasoning, answer)
        self._reasoning_ws = ""
        self._finished = True
        return self._record(reasoning, answer)

    def _emit(self, chunk: str, reasoning: list[str], answer: list[str]) -> None:
        if not chunk:
            return
        if self._in_reasoning:
            if not self._block_started:
                chunk = chunk.lstrip(_WHITESPACE)
                if not chunk:
                    return
                self._block_started = True
                # A second block (``<think>a</think><think>b``) is a new paragraph.
                self._reasoning_ws = "\n\n" if self._reasoning_started else ""
                self._reasoning_started = True
            body = chunk.rstrip(_WHITESPACE)
            if body:
                reasoning.append(self._reasoning_ws + body)
                self._reasoning_ws = chunk[len(body) :]
            else:
                self._reasoning_ws += chunk
        else:
            if not self._answer_started:
                chunk = chunk.lstrip(_WHITESPACE)
                if not chunk:
                    return
                self._answer_started = True
            answer.append(chunk)

    def _record(self, reasoning: list[str], answer: list[str]) -> ThinkDelta:
        delta = ThinkDelta("".join(reasoning), "".join(answer))
        if delta.reasoning:
            self._reasoning_parts.append(delta.reasoning)
        if delta.answer:
            self._answer_parts.append(delta.answer)
        return delta


def split_reasoning(text: str, *, start_in_reasoning: bool = False) -> tuple[str, str]:
    """``(reasoning, answer)`` of a complete reply, exactly as the streaming parser splits it."""
    parser = ThinkParser(start_in_reasoning=start_in_reasoning)
    parser.feed(text)
    parser.finish()
    return parser.reasoning, parser.answer


def strip_reasoning(text: str) -> str:
    """The answer part of a stored reply, without any ``<think>`` block (unchanged if none)."""
    if "think>" not in text:
        return text
    return split_reasoning(text)[1]
